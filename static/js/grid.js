// The grid by keyboard: arrow keys move between cells, Enter edits, Enter and Tab save, Escape
// cancels, Space ticks the row, single-letter shortcuts for the page's tools, ? lists them all.
// Everything else works without this file.
(function () {
  "use strict";
  let focusAfterSwap = null;

  // Rows come from the server lean (campaigns/presentation/row_html.py): each cell learns its column from
  // its header and becomes focusable here, and an editor's rows their addresses from the
  // table's data-rows (present only for those who may edit).
  function decorate(root) {
    const table = document.querySelector("table.grid");
    if (!table) return;
    const heads = Array.from(table.querySelectorAll("thead th"));
    const targets = heads.map(function (th) { return th.dataset.target || ""; });
    const base = table.dataset.rows.replace(/0\/$/, "");
    const rows = root.matches && root.matches("tr[data-row]")
      ? [root] : Array.from(root.querySelectorAll("table.grid tbody tr[data-row]"));
    rows.forEach(function (row) {
      if (row.dataset.ready) return;
      row.dataset.ready = "1";
      if (table.hasAttribute("data-editable")) row.dataset.edit = base + row.dataset.row + "/cell/";
      const summary = row.querySelector(".notes summary");
      if (summary) {
        const number = row.querySelector(".num").textContent.trim();
        summary.setAttribute("aria-label", table.dataset.more.replace("%(n)s", number));
      }
      Array.from(row.children).forEach(function (cell, index) {
        if (!targets[index]) return;
        cell.dataset.target = targets[index];
        cell.tabIndex = 0;
        cell.classList.add("cell");
        if (heads[index].classList.contains("is-problem")) cell.classList.add("is-problem");
      });
    });
  }
  decorate(document);
  document.addEventListener("htmx:load", function (event) { decorate(event.detail.elt); });

  // The sticky columns sit at the measured widths of those before them, and the grid's
  // scroll-padding is what they and the header cover: whatever the browser scrolls to (a
  // focused cell, a row jumped to, a problem's column) then lands clear of them. Measured
  // again whenever a sticky column changes width (a longer row number, the other language).
  function fitSticky() {
    const table = document.querySelector("table.grid");
    const wrap = table && table.closest(".table-wrap");
    if (!wrap) return;
    const cells = table.tHead.rows[0].cells;
    const width = function (i) { return cells[i].getBoundingClientRect().width; };
    const pick = width(0);
    const number = width(1);
    const phone = width(2);
    table.style.setProperty("--num-left", pick + "px");
    table.style.setProperty("--phone-left", pick + number + "px");
    wrap.style.setProperty("--sticky-left", pick + number + phone + "px");
    wrap.style.setProperty("--sticky-right", width(cells.length - 1) + "px");
    wrap.style.scrollPaddingTop = table.tHead.getBoundingClientRect().height + "px";
  }
  const stickyTable = document.querySelector("table.grid");
  if (stickyTable) {
    fitSticky();
    if (window.ResizeObserver) {
      const observer = new ResizeObserver(fitSticky);
      const cells = stickyTable.tHead.rows[0].cells;
      [0, 1, 2, cells.length - 1].forEach(function (i) { if (cells[i]) observer.observe(cells[i]); });
    }
    // A cell focused (arrow keys, Tab, a click) is brought clear of the sticky header and
    // columns: the browser's own scroll on focus ignores the scroll-padding.
    document.addEventListener("focusin", function (event) {
      const cell = event.target.closest && event.target.closest("table.grid td[data-target]");
      if (cell && getComputedStyle(cell).position !== "sticky") {
        cell.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    });
    // Opened from a problem group's chip: its column comes into view, marked (the page
    // itself stays put; the phone column is always in view).
    const problem = stickyTable.querySelector("thead th.is-problem:not(.cell--phone)");
    if (problem) {
      const wrap = stickyTable.closest(".table-wrap");
      const box = problem.getBoundingClientRect();
      const view = wrap.getBoundingClientRect();
      const style = getComputedStyle(wrap);
      const left = view.left + parseFloat(style.scrollPaddingLeft);
      const right = view.left + wrap.clientWidth - parseFloat(style.scrollPaddingRight);
      if (box.left < left || box.right > right) {
        // centred between the sticky columns, or at their left edge when it is wider
        wrap.scrollLeft += box.width >= right - left
          ? box.left - left : box.left + box.width / 2 - (left + right) / 2;
      }
    }
  }

  // A row's panel, opened, shows the JSON Thulium gets for it (loaded then, once).
  document.addEventListener("toggle", function (event) {
    const notes = event.target;
    if (!notes.matches || !notes.matches("table.grid details.notes") || !notes.open) return;
    if (notes.querySelector(".payload")) return;
    const table = notes.closest("table");
    const row = notes.closest("tr");
    const heading = document.createElement("p");
    heading.className = "notes__links";
    heading.textContent = table.dataset.payload;
    const payload = document.createElement("div");
    payload.className = "payload";
    notes.querySelector(".notes__panel").append(heading, payload);
    htmx.ajax("GET", table.dataset.rows.replace(/0\/$/, "") + row.dataset.row + "/payload/", {
      target: payload,
      swap: "innerHTML",
    });
  }, true);

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

  // After a conflict, "Take theirs" closes the editor: the row comes back as it is now.
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("form.cell-editor [data-take-theirs]");
    if (!button) return;
    const editor = button.closest("form");
    htmx.ajax("GET", editor.dataset.cancel, { target: editor.closest("tr"), swap: "outerHTML" });
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
    } else if (event.key === "Tab" || event.key === "Enter") {
      // Saved, the row comes back new: the focus returns to the same cell (Enter) or the next.
      event.preventDefault();
      const cell = editor.closest("td");
      let next = cell;
      if (event.key === "Tab") {
        next = event.shiftKey ? cell.previousElementSibling : cell.nextElementSibling;
        if (!next || !next.dataset.target) next = cell;
      }
      const line = editor.closest("tr");
      focusAfterSwap = { row: line.dataset.row, target: next.dataset.target, line: line };
      editor.requestSubmit();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.tagName === "SELECT" && event.target.closest("form.cell-editor")) {
      focusAfterSwap = focusAfterSwap || {
        row: event.target.closest("tr").dataset.row,
        target: event.target.closest("td").dataset.target,
        line: event.target.closest("tr"),
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
    // The counts, undo, redo and sending panel arrive out of band and may settle first; wait
    // for the row itself.
    const elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("#counts, #undo-form, #redo-form, #sending")) return;
    decorate(document);
    if (!focusAfterSwap) return;
    if (!focusAfterSwap.line.isConnected) {
      // Only once the saved row has replaced the one that held the editor: an earlier settle
      // (the editor's own, late under load) must not take the focus out of the editor.
      focusCell(focusAfterSwap.row, focusAfterSwap.target);
      focusAfterSwap = null;
    }
  });

  // The campaign's records, read in the background, have come: the banner's poll answers
  // HX-Refresh and the page reloads to show what they tell (views/intake.grid_listing). Not
  // while the person is busy: a cell's editor open or a field with the focus (the reload would
  // throw away what is being typed), a request of theirs not yet answered, or a page they are
  // going to (the review, say: the reload would bring them back here). The banner keeps asking
  // every second, and reloads once the person is done.
  let requests = 0;
  let leaving = false;
  function goingAway() {
    leaving = true;
    // A download begins no new page: still here after a while, the person is not leaving.
    setTimeout(function () { leaving = false; }, 10000);
  }
  window.addEventListener("beforeunload", goingAway);
  // Counted by request, not by element: htmx tells of a request's end a second time, on a
  // parent, when the answer replaced the element that asked (the banner, every second).
  document.addEventListener("htmx:beforeRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || event.detail.elt.id === "listing-status") return;
    xhr.personAsked = true;
    requests += 1;
    if (event.detail.elt.matches && event.detail.elt.matches("form.cell-editor")) xhr.saving = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr) return;
    if (xhr.personAsked) {
      xhr.personAsked = false;
      requests = Math.max(0, requests - 1);
    }
    if (xhr.saving) {
      xhr.saving = false;
      // Saved, the row has been replaced and its settle puts the focus back. Refused (a
      // conflict shows the editor again in place) or failed, the row is still here: the focus
      // stays where it is, and no later swap takes it.
      if (focusAfterSwap && focusAfterSwap.line.isConnected) focusAfterSwap = null;
    }
  });
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    const elt = event.detail.elt;
    const xhr = event.detail.xhr;
    if (!elt || elt.id !== "listing-status") {
      if (xhr && (xhr.getResponseHeader("HX-Redirect") || xhr.getResponseHeader("HX-Location"))) {
        goingAway();
      }
      return;
    }
    if (xhr.getResponseHeader("HX-Refresh") !== "true") return;
    const active = document.activeElement;
    const editing = document.querySelector("form.cell-editor") || (active && typing(active));
    if (editing || requests > 0 || leaving) event.preventDefault();
  });

  // --- moving around and shortcuts (never while typing in a field) -------------------------

  function typing(element) {
    return element.closest && element.closest("input, select, textarea, [contenteditable], dialog");
  }

  function cellsOf(row) {
    return Array.from(row.querySelectorAll("td[tabindex]"));
  }

  function move(cell, key) {
    const row = cell.closest("tr");
    const cells = cellsOf(row);
    const index = cells.indexOf(cell);
    if (key === "ArrowLeft") return cells[index - 1];
    if (key === "ArrowRight") return cells[index + 1];
    if (key === "Home") return cells[0];
    if (key === "End") return cells[cells.length - 1];
    let other = key === "ArrowUp" ? row.previousElementSibling : row.nextElementSibling;
    while (other && !other.matches("tr[data-row]")) {
      other = key === "ArrowUp" ? other.previousElementSibling : other.nextElementSibling;
    }
    if (!other) return null;
    return other.querySelector('td[data-target="' + cell.dataset.target + '"]') || cellsOf(other)[0];
  }

  function openTool(id, fieldSelector) {
    const tool = document.getElementById(id);
    if (!tool) return;
    tool.open = true;
    const field = tool.querySelector(fieldSelector);
    (field || tool.querySelector("summary")).focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    const cell = event.target.closest && event.target.closest("table.grid td[data-target]");
    if (cell && ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) {
      const next = move(cell, event.key);
      event.preventDefault();
      if (next) next.focus();
      return;
    }
    if (cell && event.key === " ") {
      const box = cell.closest("tr").querySelector("input[name=rows]");
      event.preventDefault();
      if (box) box.click();
      return;
    }
    const link = { PageDown: 'a[rel="next"]', PageUp: 'a[rel="prev"]' }[event.key];
    if (link && cell) {
      const target = document.querySelector(".pager " + link);
      if (target) {
        event.preventDefault();
        target.click();
      }
      return;
    }
    const key = event.key.toLowerCase();
    if (event.key === "?") {
      event.preventDefault();
      showShortcuts();
    } else if (key === "a") {
      const all = document.querySelector("input.select-all");
      if (all) all.click();
    } else if (key === "b") {
      event.preventDefault();
      openTool("bulk-tools", "#b-target");
    } else if (key === "v") {
      event.preventDefault();
      openTool("paste-tools", "#p-block");
    } else if (key === "f") {
      event.preventDefault();
      openTool("filter-tools", "#f-show");
    } else if (key === "u") {
      const undo = document.querySelector("#undo-form button:not([disabled])");
      if (undo) undo.click();
    }
  });

  function showShortcuts() {
    const dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }
  document.querySelectorAll("[data-shortcuts]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", showShortcuts);
  });

  // The bulk form fits its column: suggestions for that column only, and "clear" only for a
  // record field (Thulium cannot clear a status, an agent or a date).
  const bulkTarget = document.getElementById("b-target");
  const bulkValue = document.getElementById("b-value");
  const bulkClear = document.querySelector(".bulk__clear");
  function fitBulk() {
    const target = bulkTarget.value;
    const list = document.getElementById("bulk-values-" + target);
    if (list) bulkValue.setAttribute("list", list.id);
    else bulkValue.removeAttribute("list");
    if (bulkClear) {
      const field = target.indexOf("field:") === 0;
      bulkClear.hidden = !field;
      if (!field) bulkClear.querySelector("input").checked = false;
    }
  }
  if (bulkTarget && bulkValue) {
    bulkTarget.addEventListener("change", fitBulk);
    fitBulk();
  }

  // A link to a folded section ("Remap or ignore the column") opens it.
  function openTarget() {
    const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView({ block: "start" });
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // --- like a spreadsheet: Shift+arrows select, Ctrl+C copies, Ctrl+V pastes a block, -----
  // Ctrl+Z undoes and Ctrl+Shift+Z / Ctrl+Y redoes. Paste goes through the paste form (the same
  // post as without JavaScript), which fills the rows this view shows, in its order.

  let anchor = null;
  function selectedCells() {
    return Array.from(document.querySelectorAll("table.grid td.is-selected"));
  }
  function clearSelection() {
    selectedCells().forEach(function (cell) { cell.classList.remove("is-selected"); });
  }
  function position(cell) {
    const rows = Array.from(document.querySelectorAll("table.grid tbody tr[data-row]"));
    return [rows.indexOf(cell.closest("tr")), cellsOf(cell.closest("tr")).indexOf(cell), rows];
  }
  function selectTo(cell) {
    clearSelection();
    const [r1, c1, rows] = position(anchor);
    const [r2, c2] = position(cell);
    for (let r = Math.min(r1, r2); r <= Math.max(r1, r2); r++) {
      const cells = cellsOf(rows[r]);
      for (let c = Math.min(c1, c2); c <= Math.max(c1, c2); c++) {
        if (cells[c]) cells[c].classList.add("is-selected");
      }
    }
  }
  function cellText(cell) {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll("del, .muted").forEach(function (node) { node.remove(); });
    return copy.textContent.replace("→", "").trim();
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event.target)) return;
    const cell = event.target.closest && event.target.closest("table.grid td[data-target]");
    const arrows = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
    if (cell && event.shiftKey && arrows.includes(event.key) && !event.ctrlKey) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!anchor || !document.contains(anchor)) anchor = cell;
      const next = move(cell, event.key);
      if (next) {
        next.focus();
        selectTo(next);
      }
      return;
    }
    if (cell && arrows.includes(event.key) && !event.shiftKey) {
      anchor = null;
      clearSelection();
    }
    const key = event.key.toLowerCase();
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    if (key !== "z" && key !== "y") return;
    const redo = key === "y" || event.shiftKey;
    const button = document.querySelector((redo ? "#redo-form" : "#undo-form") + " button:not([disabled])");
    if (button) {
      event.preventDefault();
      button.click();
    }
  }, true);

  document.addEventListener("copy", function (event) {
    if (typing(event.target)) return;
    const focused = document.activeElement && document.activeElement.closest("table.grid td[data-target]");
    const cells = selectedCells().length ? selectedCells() : focused ? [focused] : [];
    if (!cells.length) return;
    const lines = [];
    let row = null;
    cells.forEach(function (cell) {
      if (cell.closest("tr") !== row) {
        row = cell.closest("tr");
        lines.push([]);
      }
      lines[lines.length - 1].push(cellText(cell));
    });
    event.clipboardData.setData("text/plain", lines.map(function (l) { return l.join("\t"); }).join("\n"));
    event.preventDefault();
  });

  document.addEventListener("paste", function (event) {
    if (typing(event.target)) return;
    const cell = document.activeElement && document.activeElement.closest("table.grid tr[data-edit] td[data-target]");
    const form = document.querySelector("#paste-tools form");
    if (!cell || !form) return;
    const block = event.clipboardData && event.clipboardData.getData("text/plain");
    if (!block) return;
    event.preventDefault();
    form.querySelector("[name=start_row]").value = cell.closest("tr").querySelector(".num").textContent.trim();
    form.querySelector("[name=start_column]").value = cell.dataset.target;
    form.querySelector("[name=block]").value = block;
    form.submit();
  });

  function focusCell(row, target) {
    const cell = document.querySelector('#row-' + row + ' td[data-target="' + target + '"]');
    if (cell) cell.focus();
  }
})();
