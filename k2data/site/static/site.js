// k2data site: render the Vega-Lite charts, list a clicked bubble's studies, filter tables. No network.
(() => {
  "use strict";

  const json = (id) => JSON.parse(document.getElementById(id).textContent);

  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"
  })[c]);

  function listStudies(view, datum) {
    const records = json("map-records");
    const design = view.signal("design"), system = view.signal("system"), retracted = view.signal("retracted");
    const colour = view.signal("colour");  // the bubble is one design (or one direction) of the cell
    const chosen = records.filter((r) => r.agent === datum.agent && r.term === datum.term
      && (colour === "design" ? r.design : r.direction) === datum.group
      && (design === "all" || r.design === design) && (system === "all" || r.system === system)
      && (retracted || !r.retracted));
    const studies = new Map();
    chosen.forEach((r) => studies.set(r.study_id, r));
    const items = [...studies.values()].sort((a, b) => a.label.localeCompare(b.label)).map((r) =>
      `<li><a href="studies/${escape(r.study_id)}.html">${escape(r.label)}</a> · ${escape(r.design)} · ` +
      `${escape(r.system)}${r.retracted ? ' <span class="flag">retracted</span>' : ""}</li>`);
    document.getElementById("picked").innerHTML =
      `<h2>${escape(datum.term_label)} with ${escape(datum.agent)}, ${escape(datum.group)}: ${studies.size} ` +
      `stud${studies.size === 1 ? "y" : "ies"}</h2><p><a href="terms/${escape(datum.term)}.html">` +
      `All results for this outcome</a></p><ul>${items.join("")}</ul>`;
  }

  document.querySelectorAll("[data-chart]").forEach((element) => {
    if (typeof vegaEmbed !== "function") return;
    const spec = json(element.dataset.chart);
    const options = { renderer: "svg", actions: false };
    if (element.dataset.controls) options.bind = document.getElementById(element.dataset.controls);
    vegaEmbed(element, spec, options).then((result) => {
      element.dataset.rendered = "true";
      if (element.id === "map") {
        result.view.addEventListener("click", (event, item) => {
          if (item && item.datum && item.datum.term) listStudies(result.view, item.datum);
        });
      }
    }).catch((error) => console.error(error));
  });

  function filterTable(tableId) {
    const table = document.getElementById(tableId);
    const search = document.querySelector(`[data-search="${tableId}"]`);
    const needle = search ? search.value.trim().toLowerCase() : "";
    const selects = [...document.querySelectorAll(`[data-filter="${tableId}"]`)].filter((s) => s.value);
    let shown = 0;
    const rows = table.tBodies[0].rows;
    for (const row of rows) {
      const cells = row.cells;
      const match = (!needle || row.textContent.toLowerCase().includes(needle))
        && selects.every((s) => cells[Number(s.dataset.column)].textContent === s.value);
      row.hidden = !match;
      if (match) shown += 1;
    }
    const count = document.querySelector(`[data-count="${tableId}"]`);
    if (count) count.textContent = `${shown} of ${rows.length} rows`;
  }

  document.querySelectorAll("table.filterable").forEach((table) => {
    const columns = (table.dataset.columns || "").split(",");
    document.querySelectorAll(`[data-filter="${table.id}"]`).forEach((select) => {
      select.dataset.column = String(columns.indexOf(select.dataset.name));
      select.addEventListener("change", () => filterTable(table.id));
    });
    const search = document.querySelector(`[data-search="${table.id}"]`);
    if (search) search.addEventListener("input", () => filterTable(table.id));
    filterTable(table.id);
  });
})();
