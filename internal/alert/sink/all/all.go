// Package all registers every sink type with package sink. Import it once,
// for its side effect, in the program that builds sinks from configuration:
//
//	import _ "github.com/claudit/claudit/internal/alert/sink/all"
//
// after which sink.New knows webhook, slack, splunk_hec, syslog, ocsf,
// email and pagerduty. Package sink cannot import the sink packages
// itself, since they import it.
package all

import (
	// Each import registers its sink type in init.
	_ "github.com/claudit/claudit/internal/alert/sink/email"
	_ "github.com/claudit/claudit/internal/alert/sink/ocsf"
	_ "github.com/claudit/claudit/internal/alert/sink/pagerduty"
	_ "github.com/claudit/claudit/internal/alert/sink/slack"
	_ "github.com/claudit/claudit/internal/alert/sink/splunk"
	_ "github.com/claudit/claudit/internal/alert/sink/syslog"
	_ "github.com/claudit/claudit/internal/alert/sink/webhook"
)
