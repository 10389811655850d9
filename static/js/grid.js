// Keyboard editing of grid cells. Enter and Tab save, Escape cancels; after Tab the next cell
// of the row gets the focus. Everything else works without this file.
(function () {
  "use strict";
  let focusAfterSwap = null;

  // A click on a cell, or Enter on a focused cell, opens its editor (not when it already has one).
  // The row carries the editor's address (only for those who may edit); the cell its column.
  function openEditor(event) {
    const cell = event.target.closest && event.target.closest("tr[data-edit] td[data-target]");
    if (!cell || event.target.closest("form")) return;
    if (event.type === "keydown" && event.key !== "Enter") return;
    event.preventDefault();
    const url = cell.closest("tr").dataset.edit + "?target=" + encodeURIComponent(cell.dataset.target);
    htmx.ajax("GET", url, { target: cell, swap: "innerHTML" });
  }
  document.addEventListener("click", openEditor);
  document.addEventListener("keydown", openEditor);

  // Saving a cell: the row and the counts come back from the server (without JavaScript the
  // same form is a plain POST).
  document.addEventListener("submit", function (event) {
    const editor = event.target.closest && event.target.closest("form.cell-editor");
    if (!editor) return;
    event.preventDefault();
    htmx.ajax("POST", editor.action, {
      source: editor,
      target: editor.closest("tr"),
      swap: "outerHTML",
    });
  });

  document.addEventListener("keydown", function (event) {
    const editor = event.target.closest && event.target.closest("form.cell-editor");
    if (!editor) return;
    if (event.key === "Escape") {
      event.preventDefault();
      const row = editor.closest("tr");
      htmx.ajax("GET", editor.dataset.cancel, { target: row, swap: "outerHTML" }).then(function () {
        focusCell(row.dataset.row, editor.querySelector("[name=target]").value);
      });
    } else if (event.key === "Tab" || (event.key === "Enter" && event.target.tagName === "SELECT")) {
      event.preventDefault();
      const cell = editor.closest("td");
      let next = cell;
      if (event.key === "Tab") {
        next = event.shiftKey ? cell.previousElementSibling : cell.nextElementSibling;
        if (!next || !next.dataset.target) next = cell;
      }
      focusAfterSwap = { row: editor.closest("tr").dataset.row, target: next.dataset.target };
      editor.requestSubmit();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.tagName === "SELECT" && event.target.closest("form.cell-editor")) {
      focusAfterSwap = focusAfterSwap || {
        row: event.target.closest("tr").dataset.row,
        target: event.target.closest("td").dataset.target,
      };
      event.target.closest("form").requestSubmit();
    }
    if (event.target.classList.contains("select-all")) {
      document.querySelectorAll("input[name=rows][form=bulk]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const field = event.detail.target.querySelector && event.detail.target.querySelector(
      "form.cell-editor input[name=value], form.cell-editor select"
    );
    if (field) {
      field.focus();
      if (field.select) field.select();
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    // The counts arrive out of band and settle first; wait for the row itself.
    if (event.detail.elt && event.detail.elt.id === "counts") return;
    if (focusAfterSwap) {
      focusCell(focusAfterSwap.row, focusAfterSwap.target);
      focusAfterSwap = null;
    }
  });

  function focusCell(row, target) {
    const cell = document.querySelector('#row-' + row + ' td[data-target="' + target + '"]');
    if (cell) cell.focus();
  }
})();
