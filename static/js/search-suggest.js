// Title suggestions for the search box: fills the <datalist> from /api/v1/search/suggest as one types.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  var list = document.getElementById("search-suggestions");
  if (!input || !list || !window.fetch) {
    return;
  }
  var timer = null;
  var latest = "";
  function show(suggestions) {
    list.textContent = "";
    suggestions.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.title;
      list.appendChild(option);
    });
  }
  function ask() {
    var text = input.value.trim();
    if (text.length < 2 || text === latest) {
      return;
    }
    latest = text;
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(text);
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) { if (text === latest) { show(data.suggestions || []); } })
      .catch(function () { /* suggestions are a convenience: the form still works without them */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
})();
