/* Intake form: add and remove treatments in dispute without a round trip.
 *
 * Progressive enhancement: without this script "Add another item" and "Remove item N" are
 * submit buttons the server answers by drawing the form again. With it, "Add" copies the
 * empty item from <template id="item-template"> and counts it in TOTAL_FORMS; "Remove" marks
 * the item deleted (its hidden DELETE input) and hides it. The server skips deleted and blank
 * items either way.
 */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  var list = document.querySelector("[data-item-list]");
  var template = document.getElementById("item-template");
  if (!list || !template) {
    return;
  }
  var form = list.closest("form");
  var prefix = list.getAttribute("data-prefix");
  var maxItems = parseInt(list.getAttribute("data-max-items"), 10) || 30;
  var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
  var addButton = form.querySelector("[data-add-item]");
  var status = document.getElementById("item-status");

  function slots() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-item-slot]"));
  }

  function visibleSlots() {
    return slots().filter(function (slot) {
      return !slot.hidden;
    });
  }

  // Handled here, so no longer submit buttons: a page-wide "disable after submit" leaves them
  // alone and Enter in a field still presses "Create case".
  function enhance(root) {
    root.querySelectorAll("[data-remove-item], [data-add-item]").forEach(function (button) {
      button.type = "button";
    });
  }

  function renumber() {
    visibleSlots().forEach(function (slot, position) {
      slot.querySelectorAll("[data-item-number]").forEach(function (label) {
        label.textContent = String(position + 1);
      });
    });
    addButton.disabled = visibleSlots().length >= maxItems;
  }

  function announce(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function addItem() {
    if (visibleSlots().length >= maxItems) {
      return null;
    }
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var slot = holder.querySelector("[data-item-slot]");
    enhance(slot);
    list.appendChild(slot);
    total.value = String(index + 1);
    renumber();
    return slot;
  }

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    var slot = addItem();
    if (slot) {
      slot.querySelector("[name$='-description']").focus();
      announce("Item " + visibleSlots().length + " added.");
    }
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-item]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var slot = button.closest("[data-item-slot]");
    var all = slots();
    var index = parseInt(button.value, 10);
    if (slot === all[all.length - 1] && index === parseInt(total.value, 10) - 1 && index > 0) {
      // The last slot: drop it and count one fewer, so TOTAL_FORMS stays small.
      slot.remove();
      total.value = String(index);
    } else {
      slot.querySelector("input[name$='-DELETE']").value = "on";
      slot.hidden = true;
    }
    if (visibleSlots().length === 0) {
      addItem();
    }
    renumber();
    announce("Item removed.");
    addButton.focus();
  });

  enhance(form);
  renumber();
})();
