// The counter and station boards: live tickets, one-tap bumps, a chime for new
// tickets, ages coloured by the shop's thresholds, and a bump bar's keys (a number
// selects a ticket, Enter bumps it).
(function () {
  "use strict";
  var root = document.getElementById("counter-body");
  if (!root || !window.Tabby) return;
  var announcer = document.getElementById("live-status");
  var soundButton = document.getElementById("sound-toggle");
  var audio = null;
  var soundOn = false;
  var RECALL_MS = 60000;
  var warn = parseInt(root.getAttribute("data-warn"), 10) || 5;
  var late = parseInt(root.getAttribute("data-late"), 10) || 10;
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
      soundButton.textContent = soundOn
        ? say("soundOn", "Chime on: tap to mute it")
        : say("soundOff", "Chime off: tap to turn it on");
      soundButton.setAttribute("aria-pressed", soundOn ? "true" : "false");
      if (soundOn) chime();
    });
  }

  // Numbers for the keyboard, the age colour, and Undo only while it can still work;
  // all from the page itself, so a ticket the server kept drawn stays right.
  function refresh() {
    var now = Date.now();
    root.querySelectorAll(".ticket").forEach(function (ticket, i) {
      var number = ticket.querySelector("[data-ticket-number]");
      if (number) number.textContent = i < 9 ? String(i + 1) : "";
      var minutes = (now - Date.parse(ticket.getAttribute("data-since"))) / 60000;
      ticket.classList.toggle("age-warn", minutes >= warn && minutes < late);
      ticket.classList.toggle("age-late", minutes >= late);
      var recall = ticket.querySelector("[data-recall-from]");
      if (recall) {
        var from = Date.parse(recall.getAttribute("data-recall-from"));
        var open = !isNaN(from) && now - from < RECALL_MS;
        recall.hidden = !open;
        // A station's bumped ticket leaves its board once it can no longer be recalled.
        if (!open && root.classList.contains("station-body")) ticket.hidden = true;
      }
    });
  }

  var live = window.Tabby.poller(root, function (data) {
    var ticketsBefore = ids("[data-ticket]", "data-ticket");
    var waitingBefore = ids(".waiting-row[data-tab-id]", "data-tab-id");
    var attentionBefore = ids("[data-attention-id]", "data-attention-id");
    var selected = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("[data-ticket]") : null;
    var selectedKey = selected ? selected.getAttribute("data-ticket") : null;
    root.innerHTML = data.html;
    refresh();
    var fresh = 0;
    (data.ticket_ids || []).forEach(function (id) {
      if (!ticketsBefore[id]) {
        fresh += 1;
        var ticket = root.querySelector('[data-ticket="' + id + '"]');
        if (ticket) ticket.classList.add("is-new");
      }
    });
    (data.waiting_ids || []).forEach(function (id) {
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
    // Keep the bump bar's selection on the same ticket across a redraw.
    if (selectedKey) {
      var again = root.querySelector('[data-ticket="' + selectedKey + '"] [data-ticket-bump]');
      if (again) again.focus();
    }
    if (fresh) {
      announcer.textContent = fresh === 1
        ? say("oneNew", "1 new item at the counter")
        : say("manyNew", "{count} new items at the counter").replace("{count}", fresh);
      chime();
    }
  });

  // A bump bar is a keyboard: 1-9 selects that ticket (its header button takes the
  // focus, so Enter, as on any button, bumps it).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (!/^[1-9]$/.test(event.key)) return;
    var tickets = Array.prototype.filter.call(root.querySelectorAll(".ticket"), function (t) { return !t.hidden; });
    var ticket = tickets[parseInt(event.key, 10) - 1];
    var button = ticket && ticket.querySelector("[data-ticket-bump]");
    if (!button) return;
    event.preventDefault();
    root.querySelectorAll(".ticket.is-selected").forEach(function (t) { t.classList.remove("is-selected"); });
    ticket.classList.add("is-selected");
    button.focus();
  });

  refresh();
  setInterval(refresh, 5000);
  window.Tabby.asyncForms(root, live.poll);
  window.Tabby.tickAges(root);
})();
