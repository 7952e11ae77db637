// Boxes with a length limit (data-chars-left, with maxlength) say how many characters
// are left as the person types, and say plainly when pasted text was cut to fit: the
// browser cuts it silently, and a note missing its end is worse than one too short.
(function () {
  "use strict";
  var words = (window.Tabby && window.Tabby.text) || {};

  function say(key, english, values) {
    var message = words[key] || english;
    Object.keys(values).forEach(function (name) {
      message = message.split("{" + name + "}").join(values[name]);
    });
    return message;
  }

  document.querySelectorAll("[data-chars-left][maxlength]").forEach(function (box, n) {
    var most = parseInt(box.getAttribute("maxlength"), 10);
    if (!most) return;
    var left = document.createElement("span");
    left.className = "chars-left";
    left.id = box.id ? box.id + "-left" : "chars-left-" + n;
    left.hidden = true;
    var cut = document.createElement("span");
    cut.className = "chars-cut";
    cut.setAttribute("role", "status");
    box.insertAdjacentElement("afterend", cut);
    box.insertAdjacentElement("afterend", left);
    box.setAttribute("aria-describedby",
      ((box.getAttribute("aria-describedby") || "") + " " + left.id).trim());

    function count() {
      var remaining = most - box.value.length;
      left.textContent = remaining === 1
        ? say("charLeft", "1 character left", {})
        : say("charsLeft", "{count} characters left", { count: remaining });
      left.hidden = !box.value.length;
      left.classList.toggle("chars-none", remaining <= 0);
    }

    function arriving(text) {
      var start = box.selectionStart == null ? box.value.length : box.selectionStart;
      var end = box.selectionEnd == null ? start : box.selectionEnd;
      var wanted = box.value.length - (end - start) + text.length;
      cut.textContent = wanted > most
        ? say("pasteCut", "That was {count} characters; only the first {most} fit, so the rest was left out.",
          { count: wanted, most: most })
        : "";
    }

    box.addEventListener("paste", function (event) {
      var data = event.clipboardData || window.clipboardData;
      if (data) arriving(data.getData("text") || "");
    });
    box.addEventListener("drop", function (event) {
      if (event.dataTransfer) arriving(event.dataTransfer.getData("text") || "");
    });
    box.addEventListener("input", function (event) {
      if (event.inputType !== "insertFromPaste" && event.inputType !== "insertFromDrop") {
        cut.textContent = "";
      }
      count();
    });
    box.form && box.form.addEventListener("reset", function () { cut.textContent = ""; left.hidden = true; });
    count();
  });
})();
