// The counter screen: live queue, one-tap status buttons, a chime for new orders.
(function () {
  "use strict";
  var root = document.getElementById("counter-body");
  if (!root || !window.Tabby) return;
  var announcer = document.getElementById("live-status");
  var soundButton = document.getElementById("sound-toggle");
  var audio = null;
  var soundOn = false;
  // The page's words in the staff member's language (templates/staff/_js_text.html).
  var words = window.Tabby.text || {};
  function say(key, english) { return words[key] || english; }

  function ids(selector, attr) {
    var found = {};
    root.querySelectorAll(selector).forEach(function (el) { found[el.getAttribute(attr)] = true; });
    return found;
  }

  function chime() {
    if (!soundOn || !audio) return;
    var now = audio.currentTime;
    [880, 1320].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.25, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.18);
      osc.stop(now + i * 0.18 + 0.45);
    });
  }

  // Browsers only allow sound after a tap, so the chime is switched on by one.
  if (soundButton && (window.AudioContext || window.webkitAudioContext)) {
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      soundOn = !soundOn;
      if (soundOn) audio.resume();
      soundButton.textContent = soundOn ? say("soundOn", "Sound on") : say("soundOff", "Sound off");
      soundButton.setAttribute("aria-pressed", soundOn ? "true" : "false");
      if (soundOn) chime();
    });
  }

  var live = window.Tabby.poller(root, function (data) {
    var queueBefore = ids("[data-line-id]", "data-line-id");
    var waitingBefore = ids(".waiting-row[data-tab-id]", "data-tab-id");
    var attentionBefore = ids("[data-attention-id]", "data-attention-id");
    root.innerHTML = data.html;
    var fresh = 0;
    data.queue_ids.forEach(function (id) {
      if (!queueBefore[id]) {
        fresh += 1;
        var row = root.querySelector('.queue-row[data-line-id="' + id + '"]');
        if (row) row.classList.add("is-new");
      }
    });
    data.waiting_ids.forEach(function (id) {
      if (!waitingBefore[id]) {
        fresh += 1;
        var row = root.querySelector('.waiting-row[data-tab-id="' + id + '"]');
        if (row) row.classList.add("is-new");
      }
    });
    (data.attention_ids || []).forEach(function (id) {
      if (!attentionBefore[id]) {
        fresh += 1;
        var row = root.querySelector('[data-attention-id="' + id + '"]');
        if (row) row.classList.add("is-new");
      }
    });
    if (fresh) {
      announcer.textContent = fresh === 1
        ? say("oneNew", "1 new item at the counter")
        : say("manyNew", "{count} new items at the counter").replace("{count}", fresh);
      chime();
    }
  });

  window.Tabby.asyncForms(root, live.poll);
  window.Tabby.tickAges(root);
})();
