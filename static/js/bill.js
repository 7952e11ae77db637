// The bill: typing an amount in "Other tip" picks the "Other" choice, so it is one tap less.
(function () {
  "use strict";
  var custom = document.querySelector('input[name="custom_tip"]');
  var other = document.querySelector('input[name="tip"][value="custom"]');
  if (!custom || !other) return;
  custom.addEventListener("input", function () {
    if (custom.value.trim()) other.checked = true;
  });
})();
