// Search for knead sites: loads the compact index written at build time and shows matching
// posts as you type. No framework, no other host; the page works without it (links to topics).
(function () {
  "use strict";
  var form = document.querySelector("form[data-index]");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var index = null;

  function words(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .split(/[^a-z0-9]+/).filter(Boolean);
  }

  function score(entry, terms) {
    var title = words(entry.title).join(" ");
    var tags = words(entry.tags.join(" ")).join(" ");
    var body = words(entry.summary).join(" ");
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], s = 0;
      if (title.indexOf(t) >= 0) s += 5;
      if (tags.indexOf(t) >= 0) s += 3;
      if (body.indexOf(t) >= 0) s += 1;
      if (!s) return 0;
      total += s;
    }
    return total;
  }

  function show(query) {
    var terms = words(query);
    list.textContent = "";
    if (!terms.length) { status.textContent = ""; return; }
    var hits = index.map(function (e) { return { e: e, s: score(e, terms) }; })
      .filter(function (h) { return h.s > 0; })
      .sort(function (a, b) { return b.s - a.s; })
      .slice(0, 20);
    status.textContent = hits.length
      ? hits.length + (hits.length === 1 ? " article" : " articles") + " found"
      : "No articles found. Try another word.";
    hits.forEach(function (h) {
      var li = document.createElement("li");
      li.className = "card";
      var heading = document.createElement("h2");
      heading.className = "card-title";
      var a = document.createElement("a");
      a.href = h.e.url;
      a.textContent = h.e.title;
      heading.appendChild(a);
      li.appendChild(heading);
      if (h.e.date) {
        var meta = document.createElement("p");
        meta.className = "meta";
        meta.textContent = h.e.date;
        li.appendChild(meta);
      }
      var p = document.createElement("p");
      p.className = "card-summary";
      p.textContent = h.e.summary;
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  function load() {
    if (index) return Promise.resolve(index);
    return fetch(form.getAttribute("data-index"))
      .then(function (r) { return r.json(); })
      .then(function (data) { index = data; return data; });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      load().then(function () { show(input.value); });
    }, 120);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load().then(function () { show(input.value); });
  });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    load().then(function () { show(initial); });
  }
})();
