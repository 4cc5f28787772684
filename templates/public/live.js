// The venue's results site: the page's <main> is fetched again when the
// results change (pushed by the server; polled on a browser without
// server-sent events), so a phone left open shows new finishers without
// a reload. Plain ES5 for old phones.
(function () {
  var main = document.getElementById("live");
  if (!main) return;
  var revision = main.getAttribute("data-revision");
  var busy = false;
  function reload() {
    if (busy) return;
    busy = true;
    var x = new XMLHttpRequest();
    var url = location.pathname + location.search + (location.search ? "&" : "?") + "part=main";
    x.open("GET", url);
    x.onload = function () {
      busy = false;
      if (x.status === 200) {
        main.innerHTML = x.responseText;
        main.setAttribute("data-revision", revision);
        hook();
      }
    };
    x.onerror = function () { busy = false; };
    x.send();
  }
  function hook() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].onclick = function () { window.print(); };
    }
  }
  hook();
  if (window.EventSource) {
    var source = new EventSource("/live");
    source.onmessage = function (e) {
      if (e.data !== revision) {
        revision = e.data;
        reload();
      }
    };
  } else {
    setInterval(reload, 10000);
  }
})();
