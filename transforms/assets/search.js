/* The search page: Pagefind's static index (html/pagefind/, made at build time) queried in the
   browser.  Results show the document's number and title, its date and an excerpt with the
   words found marked; filters by chapter, year and person; ranked by relevance.  Browsers do
   not let a page opened from a file load the index: the page then says search needs a server. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL("../", script.src);
  var form = document.querySelector(".search-form");
  var input = document.getElementById("search-query");
  var status = document.querySelector(".search-status");
  var list = document.querySelector(".search-results");
  var filterBox = document.querySelector(".search-filters");
  var params = new URLSearchParams(window.location.search);
  var FILTERS = [["chapter", "Chapter"], ["year", "Year"], ["person", "Person"]];
  var pagefind = null;

  function say(text) {
    status.textContent = text;
  }

  if (window.location.protocol === "file:") {
    say("Search needs the edition served over HTTP: run python3 -m http.server in the edition's html folder " +
        "and open it from there. Everything else works from the files.");
    return;
  }

  input.value = params.get("q") || "";
  say("Loading the search index…");

  function chosenFilters() {
    var chosen = {};
    var selects = filterBox.querySelectorAll("select");
    for (var i = 0; i < selects.length; i++) {
      if (selects[i].value) {
        chosen[selects[i].name] = selects[i].value;
      }
    }
    return chosen;
  }

  function buildFilters(available) {
    filterBox.textContent = "";
    FILTERS.forEach(function (pair) {
      var values = available[pair[0]];
      if (!values || !Object.keys(values).length) {
        return;
      }
      var label = document.createElement("label");
      label.textContent = pair[1] + " ";
      var select = document.createElement("select");
      select.name = pair[0];
      var all = document.createElement("option");
      all.value = "";
      all.textContent = "All";
      select.appendChild(all);
      Object.keys(values).sort().forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value + " (" + values[value] + ")";
        if (params.get(pair[0]) === value) {
          option.selected = true;
        }
        select.appendChild(option);
      });
      select.addEventListener("change", run);
      label.appendChild(select);
      filterBox.appendChild(label);
    });
    filterBox.hidden = false;
  }

  function resultItem(data) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = new URL(data.url.replace(/^\//, ""), base).href;
    link.textContent = (data.meta && data.meta.title) || data.url;
    item.appendChild(link);
    if (data.meta && data.meta.date) {
      var date = document.createElement("span");
      date.className = "date";
      date.textContent = " " + data.meta.date;
      item.appendChild(date);
    }
    var excerpt = document.createElement("p");
    excerpt.className = "excerpt";
    /* The excerpt is made here from the page's plain text (Pagefind's own excerpt is HTML in
       which an "&lt;" of the text and an escaped "<" look the same): words around the first
       hit, the words found in <mark> elements, everything else text nodes. */
    var words = (data.content || "").split(/[\r\n\s]+/g);
    var found = {};
    (data.locations || []).forEach(function (location) { found[location] = true; });
    var first = (data.locations && data.locations.length) ? Math.min.apply(null, data.locations) : 0;
    var from = Math.max(0, first - 12);
    words.slice(from, from + 30).forEach(function (word, offset) {
      if (offset) {
        excerpt.appendChild(document.createTextNode(" "));
      }
      if (found[from + offset]) {
        var mark = document.createElement("mark");
        mark.textContent = word;
        excerpt.appendChild(mark);
      } else {
        excerpt.appendChild(document.createTextNode(word));
      }
    });
    item.appendChild(excerpt);
    return item;
  }

  function run(event) {
    if (event) {
      event.preventDefault();
    }
    var query = input.value.trim();
    var filters = chosenFilters();
    var url = new URL(window.location.href);
    url.search = "";
    if (query) {
      url.searchParams.set("q", query);
    }
    Object.keys(filters).forEach(function (name) { url.searchParams.set(name, filters[name]); });
    window.history.replaceState(null, "", url.href);
    list.textContent = "";
    list.removeAttribute("data-count");
    if (!query && !Object.keys(filters).length) {
      say("Type words to find in the documents.");
      return;
    }
    say("Searching…");
    pagefind.search(query || null, { filters: filters }).then(function (search) {
      return Promise.all(search.results.map(function (result) { return result.data(); }));
    }).then(function (found) {
      found.forEach(function (data) { list.appendChild(resultItem(data)); });
      var words = query ? "“" + query + "”" : "the filters chosen";
      say(found.length === 1 ? "1 document for " + words + "." : found.length + " documents for " + words + ".");
      list.setAttribute("data-count", String(found.length));
    }, function () {
      say("The search index could not be read. It is made by edition build; serve the edition's html folder.");
    });
  }

  import(new URL("pagefind/pagefind.js", base).href).then(function (module) {
    pagefind = module;
    return pagefind.options({ baseUrl: "/" }).then(function () { return pagefind.filters(); });
  }).then(function (available) {
    buildFilters(available);
    form.addEventListener("submit", run);
    run();
  }, function () {
    say("This edition has no search index (it is made by edition build with Pagefind installed), " +
        "or the browser could not load it.");
  });
}());
