package app

// SecretKeyDerivations says how many times a derived the sealing key.
func (a *App) SecretKeyDerivations() int {
	a.secret.mu.Lock()
	defer a.secret.mu.Unlock()
	return a.secret.derivations
}
