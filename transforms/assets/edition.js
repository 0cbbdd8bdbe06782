/* The reading switch: reading text (corrected) or the text as printed.
   Without JavaScript the reading text shows, with the printed form marked
   beside it (see edition.css); this file only adds the switch. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var switches = document.querySelectorAll(".reading-switch");
  if (!switches.length) {
    return;
  }
  function choose(mode) {
    root.classList.toggle("diplomatic", mode === "diplomatic");
    var buttons = document.querySelectorAll(".reading-switch button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-reading") === mode));
    }
  }
  for (var i = 0; i < switches.length; i++) {
    switches[i].hidden = false;
    switches[i].addEventListener("click", function (event) {
      var button = event.target.closest("button[data-reading]");
      if (button) {
        choose(button.getAttribute("data-reading"));
      }
    });
  }
  choose("reading");
}());
