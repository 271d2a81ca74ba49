// slawatch pages: live countdowns and the board's refresh. The pages work
// without this file; it only keeps what they show current.
"use strict";
(function () {
  var body = document.body;
  function words(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), units = body.dataset;
    function w(n, unit) { return units[unit].replace("{n}", n); }
    if (d > 0) return w(d, "unitD") + (h ? " " + w(h, "unitH") : "");
    if (h > 0) return w(h, "unitH") + (m ? " " + w(m, "unitM") : "");
    if (m > 0) return w(m, "unitM") + " " + w(s % 60, "unitS");
    return w(s % 60, "unitS");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Number(el.dataset.deadline) - now;
      el.textContent = (left >= 0 ? body.dataset.remaining : body.dataset.overdue).replace("{span}", words(left));
      if (left < 0) el.classList.add("late");
    });
  }
  tick();
  setInterval(tick, 1000);
  var rows = document.querySelector("[data-refresh]");
  if (rows) {
    setInterval(function () {
      fetch(rows.dataset.refresh, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { rows.innerHTML = html; tick(); })
        .catch(function () {});
    }, 15000);
  }
})();
