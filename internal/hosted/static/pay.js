// The hosted page without reloading: a countdown before expiry, and while the
// payment is pending, a poll of its status that moves on when it changes.
(function () {
  "use strict";
  var session = document.getElementById("session");
  if (!session) return;
  var left = document.getElementById("left");
  if (left) {
    var expires = Number(left.getAttribute("data-expires")) * 1000;
    var tick = function () {
      var min = Math.max(0, Math.round((expires - Date.now()) / 60000));
      left.textContent = min < 60 ? min + " min" : Math.floor(min / 60) + " h " + String(min % 60).padStart(2, "0") + " min";
      if (expires <= Date.now()) location.reload();
    };
    setInterval(tick, 15000);
  }
  // A redirect payment whose operator page is known: go there at once.
  var go = document.getElementById("redirect");
  if (go && go.getAttribute("data-auto")) {
    location.assign(go.href);
    return;
  }
  var back = go !== null;
  var status = session.getAttribute("data-status");
  if (status !== "pending" && status !== "processing") return;
  var url = session.getAttribute("data-poll");
  var poll = function () {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.status !== status) location.replace(s.next);
        else if (s && s.redirect && !back) location.assign(s.redirect);
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  };
  setTimeout(poll, 1000);
})();
