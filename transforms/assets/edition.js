/* The web edition's small helpers.  Every page works without this file: the reading text
   shows with the printed form marked beside it, the go-to-page form opens the list of printed
   pages, and the paragraph anchors are plain links.  With it:
   - the reading switch (reading text / as printed), remembered across pages;
   - "go to page" jumps straight to the printed page (the volume's pages.js maps pages);
   - "cite this paragraph" (Chicago, with para. N) and copy buttons;
   - a page opened from a file says that search needs a server. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var STORE = "edition-reading";

  function remembered() {
    try {
      return window.localStorage.getItem(STORE) || "reading";
    } catch (error) {
      return "reading";
    }
  }

  function remember(mode) {
    try {
      window.localStorage.setItem(STORE, mode);
    } catch (error) {
      /* storage refused (private mode): the choice holds for this page only */
    }
  }

  function choose(mode) {
    root.classList.toggle("diplomatic", mode === "diplomatic");
    var buttons = document.querySelectorAll(".reading-switch button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-reading") === mode));
    }
  }

  function readingSwitch() {
    var switches = document.querySelectorAll(".reading-switch");
    for (var i = 0; i < switches.length; i++) {
      switches[i].hidden = false;
      switches[i].addEventListener("click", function (event) {
        var button = event.target.closest("button[data-reading]");
        if (button) {
          var mode = button.getAttribute("data-reading");
          remember(mode);
          choose(mode);
        }
      });
    }
    choose(switches.length ? remembered() : "reading");
  }

  function copyText(text, button) {
    function done(ok) {
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      button.textContent = ok ? "Copied" : "Select and copy the text";
      window.setTimeout(function () { button.textContent = label; }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    document.body.removeChild(area);
    done(ok);
  }

  function copyButtons() {
    var buttons = document.querySelectorAll("button.copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) {
        var source = document.getElementById(event.currentTarget.getAttribute("data-copy"));
        if (source) {
          copyText(source.textContent.replace(/\s+/g, " ").trim(), event.currentTarget);
        }
      });
    }
  }

  function paragraphCitations() {
    var main = document.getElementById("main");
    if (!main || !main.hasAttribute("data-cite-before")) {
      return;
    }
    var before = main.getAttribute("data-cite-before");
    var after = main.getAttribute("data-cite-after");
    var anchors = main.querySelectorAll("a.para-anchor[data-para]");
    for (var i = 0; i < anchors.length; i++) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cite-para";
      button.textContent = "Cite";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-label", "Cite paragraph " + anchors[i].getAttribute("data-para"));
      anchors[i].insertAdjacentElement("afterend", button);
      button.addEventListener("click", function (event) {
        var opener = event.currentTarget;
        var paragraph = opener.closest("p");
        var number = opener.previousElementSibling.getAttribute("data-para");
        var open = paragraph.nextElementSibling;
        if (open && open.classList.contains("para-cite")) {
          open.parentNode.removeChild(open);
          opener.setAttribute("aria-expanded", "false");
          return;
        }
        var box = document.createElement("div");
        box.className = "para-cite";
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", "Citation of paragraph " + number);
        var text = document.createElement("p");
        text.className = "para-cite-text";
        text.id = "para-cite-" + number;
        text.textContent = before + number + after;
        var copy = document.createElement("button");
        copy.type = "button";
        copy.className = "copy";
        copy.textContent = "Copy the citation";
        copy.addEventListener("click", function () { copyText(text.textContent, copy); });
        box.appendChild(text);
        box.appendChild(copy);
        paragraph.insertAdjacentElement("afterend", box);
        opener.setAttribute("aria-expanded", "true");
        copy.focus();
      });
    }
  }

  function gotoPage() {
    var forms = document.querySelectorAll("form.goto");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (event) {
        var form = event.currentTarget;
        var pages = window.editionPages;
        if (!pages) {
          return; /* no map: the form opens the list of printed pages */
        }
        var wanted = form.querySelector("input").value.replace(/^\s*(p(age|\.)?\s*)?/i, "").trim();
        var target = pages[wanted] || pages[wanted.toUpperCase()];
        var message = form.querySelector(".goto-message");
        event.preventDefault();
        if (target) {
          window.location.href = target;
        } else if (message) {
          message.textContent = "There is no printed page " + wanted + " in this volume.";
        }
      });
    }
  }

  function offlineSearch() {
    if (window.location.protocol !== "file:") {
      return;
    }
    var notes = document.querySelectorAll(".search-offline");
    for (var i = 0; i < notes.length; i++) {
      notes[i].hidden = false;
    }
  }

  readingSwitch();
  copyButtons();
  paragraphCitations();
  gotoPage();
  offlineSearch();
}());
