// claudit dashboard niceties. Every page works without this file; it only
// adds row clicks, Escape to close the drawer, confirmations and live
// backfill progress. It never inserts HTML: only textContent and attributes.
(function () {
  "use strict";

  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest("a, button, input, select, textarea, label, summary")) {
      return;
    }
    var row = e.target.closest("tr[data-href]");
    if (row) {
      window.location.assign(row.getAttribute("data-href"));
    }
  });

  // A header checkbox with data-select-all="name" ticks every checkbox of that name.
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-select-all");
    if (!name) {
      return;
    }
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = e.target.checked;
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") {
      return;
    }
    var close = document.getElementById("drawer-close");
    if (close) {
      window.location.assign(close.getAttribute("href"));
    }
  });

  function set(row, field, text) {
    var el = row.querySelector('[data-field="' + field + '"]');
    if (el) {
      el.textContent = text;
    }
  }

  function fmt(ts) {
    if (!ts || ts.indexOf("0001-") === 0) {
      return "—";
    }
    // ISO 8601 as the API sends it (UTC), without fractions of a second.
    return ts.replace(/\.\d+/, "");
  }

  function poll(row) {
    var url = row.getAttribute("data-poll");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("HTTP " + r.status);
        }
        return r.json();
      })
      .then(function (b) {
        var bar = row.querySelector('[data-field="progress"]');
        if (bar) {
          bar.value = b.percent;
        }
        set(row, "percent", b.percent + "%");
        set(row, "status", b.status);
        var st = row.querySelector('[data-field="status"]');
        if (st) {
          st.className = "status status-" + String(b.status).replace(/[^a-z_-]/g, "");
        }
        set(row, "batches", b.batches_done + "/" + b.batches + " batches");
        set(row, "synced", fmt(b.synced_up_to));
        set(row, "imported", b.activities + " activities, " + b.messages + " messages");
        if (b.status === "running" || b.status === "pending") {
          window.setTimeout(function () { poll(row); }, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(function () { poll(row); }, 5000);
      });
  }

  // The framed report (same origin) is as tall as its content: one scroll bar.
  var frame = document.getElementById("report-frame");
  if (frame) {
    var fit = function () {
      try {
        var doc = frame.contentDocument;
        if (doc && doc.documentElement) {
          frame.style.height = (doc.documentElement.scrollHeight + 16) + "px";
        }
      } catch (err) {
        // Not same origin: keep the CSS height.
      }
    };
    frame.addEventListener("load", fit);
    fit();
  }

  // First sign-in: the account has no display zone yet, so send the
  // browser's (the server keeps a zone already chosen) and show the page again in it.
  var body = document.body;
  if (body && body.getAttribute("data-zone-unset") === "1" && window.Intl && window.fetch) {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (err) {
      zone = "";
    }
    if (zone) {
      var form = new URLSearchParams();
      form.set("csrf_token", body.getAttribute("data-csrf") || "");
      form.set("time_zone", zone);
      form.set("detected", "1");
      fetch("/account", { method: "POST", body: form, credentials: "same-origin" }).then(function (r) {
        if (r.ok && zone !== "UTC" && zone !== "Etc/UTC") {
          window.location.reload();
        }
      });
    }
  }

  document.querySelectorAll("tr[data-poll]").forEach(function (row) {
    window.setTimeout(function () { poll(row); }, 500);
  });
})();
