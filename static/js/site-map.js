// A program's sites on a Leaflet map: one circle marker per site on a canvas renderer (thousands stay fast),
// coloured by wave, with a popup (code, name, city, wave, link to the site). The rows come from the page
// (json_script "site-map-data"); the page lists the same sites, so nothing is lost when tiles or Leaflet fail.
(function () {
  "use strict";

  var TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';
  var US_CENTRE = [39.5, -98.35];

  function show(id) {
    var note = document.getElementById(id);
    if (note) note.hidden = false;
  }

  function line(parent, className, text) {
    var element = document.createElement("div");
    if (className) element.className = className;
    element.textContent = text;
    parent.appendChild(element);
    return element;
  }

  // Built from DOM nodes with textContent: site names come from imported files and are never HTML.
  function popupFor(row, wave, siteUrl) {
    var box = document.createElement("div");
    box.className = "site-popup";
    var link = document.createElement("a");
    link.className = "site-popup-code";
    link.href = siteUrl.replace("{id}", String(row[0]));
    link.textContent = row[1];
    box.appendChild(link);
    line(box, "", row[2]);
    var place = [row[3], row[4]].filter(Boolean).join(", ");
    if (place) line(box, "text-body-secondary", place);
    var waveLine = line(box, "mt-1", "");
    var dot = document.createElement("span");
    dot.className = "wave-dot me-1";
    dot.style.background = wave.color;
    waveLine.appendChild(dot);
    waveLine.appendChild(document.createTextNode(wave.name));
    return box;
  }

  function init() {
    var element = document.getElementById("site-map");
    var source = document.getElementById("site-map-data");
    if (!element || !source) return;
    if (typeof window.L === "undefined") {
      show("site-map-failed-note");
      element.hidden = true;
      return;
    }
    var data = JSON.parse(source.textContent);
    var renderer = L.canvas({ padding: 0.5 });
    var map = L.map(element, { preferCanvas: true, renderer: renderer, scrollWheelZoom: false, zoomSnap: 0.25 });
    var tiles = L.tileLayer(TILES, { maxZoom: 19, attribution: ATTRIBUTION });
    var warned = false;
    tiles.on("tileerror", function () {
      if (warned) return;
      warned = true;
      show("site-map-tiles-note");
      element.classList.add("site-map-offline");
    });
    tiles.addTo(map);
    // Once the map has focus, the wheel zooms it; before that it scrolls the page as usual.
    map.on("focus click", function () { map.scrollWheelZoom.enable(); });
    map.on("blur", function () { map.scrollWheelZoom.disable(); });

    var markers = {};
    var positions = [];
    data.sites.forEach(function (row) {
      var wave = data.waves[row[7]] || data.waves.none;
      var position = [row[5], row[6]];
      var marker = L.circleMarker(position, {
        renderer: renderer,
        radius: 5,
        weight: 1,
        color: "#ffffff",
        fillColor: wave.color,
        fillOpacity: 0.9,
      });
      marker.bindPopup(function () { return popupFor(row, wave, data.siteUrl); });
      marker.addTo(map);
      markers[row[0]] = marker;
      positions.push(position);
    });
    if (positions.length) {
      map.fitBounds(positions, { padding: [24, 24], maxZoom: 12 });
    } else {
      map.setView(US_CENTRE, 4);
    }
    element.setAttribute("data-markers", String(positions.length));
    element.setAttribute("data-ready", "true");

    // The list's "Show" buttons centre the map on a site and open its popup.
    document.querySelectorAll("[data-show-site]").forEach(function (button) {
      if (markers[button.getAttribute("data-show-site")]) button.hidden = false;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-show-site]");
      if (!button) return;
      var marker = markers[button.getAttribute("data-show-site")];
      if (!marker) return;
      var box = element.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) element.scrollIntoView({ block: "center" });
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 12));
      marker.openPopup();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
