// The ready board for the room: who can collect, kept up to date by polling (it
// keeps trying through network drops), with a soft chime for each new name.
(function () {
  "use strict";
  var root = document.getElementById("ready-body");
  if (!root || !window.Tabby) return;
  var announcer = document.getElementById("live-status");
  var offline = document.getElementById("board-offline");
  var soundButton = document.getElementById("sound-toggle");
  var words = window.Tabby.text || {};
  var audio = null;
  var soundOn = false;

  function chime() {
    if (!soundOn || !audio) return;
    var now = audio.currentTime;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = 660;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.12, now + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.9);
    osc.connect(gain).connect(audio.destination);
    osc.start(now);
    osc.stop(now + 1);
  }

  if (soundButton && (window.AudioContext || window.webkitAudioContext)) {
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      soundOn = !soundOn;
      if (soundOn) audio.resume();
      soundButton.textContent = soundOn
        ? (words.soundOn || "Chime on: tap to mute it")
        : (words.soundOff || "Chime off: tap to turn it on");
      soundButton.setAttribute("aria-pressed", soundOn ? "true" : "false");
    });
  }

  document.addEventListener("tabby:unreachable", function () { if (offline) offline.hidden = false; });
  document.addEventListener("tabby:reachable", function () { if (offline) offline.hidden = true; });

  window.Tabby.poller(root, function (data) {
    var before = {};
    root.querySelectorAll("[data-ready]").forEach(function (el) { before[el.getAttribute("data-ready")] = true; });
    root.innerHTML = data.html;
    var fresh = root.querySelectorAll("[data-ready]");
    var added = Array.prototype.filter.call(fresh, function (el) { return !before[el.getAttribute("data-ready")]; });
    added.forEach(function (el) { el.classList.add("is-new"); });
    if (added.length) {
      announcer.textContent = (words.oneReady || "Ready to collect: {name}")
        .replace("{name}", added.map(function (el) { return el.textContent.trim(); }).join(", "));
      chime();
    }
  });
})();
