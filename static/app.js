// Service Connector: small enhancements on top of htmx. Every page works without this file:
// Disconnect then asks on a page of its own, and the copy buttons stay hidden.
(() => {
  "use strict";

  // Disconnect asks first. htmx raises htmx:confirm before every request; a form with
  // hx-confirm is asked in the page's <dialog> (its data-confirm-body and
  // data-confirm-action fill it), and the request goes out only on "confirm". A page
  // without the dialog falls back to htmx's window.confirm.
  //
  // The browser fires a dialog's close event in a task of its own, after the key or click
  // that closed it (key presses already queued may come first), so a person who types ahead can
  // open the dialog again before that event arrives: a late close event must not answer
  // the next question. So a button answers at once, as it closes the dialog, and the close
  // event only ever answers no, and only while the dialog is closed. `asking` is the one
  // question the dialog holds open.
  let asking = null;
  const answer = (confirmed) => {
    const question = asking;
    asking = null;
    if (!question) {
      return;
    }
    if (confirmed) {
      question.issueRequest(true);
    } else if (question.opener instanceof HTMLElement && question.opener.isConnected) {
      question.opener.focus();
    }
  };
  const isConfirmDialog = (el) => el instanceof HTMLDialogElement && el.id === "confirm-dialog";

  document.addEventListener("htmx:confirm", (evt) => {
    const dialog = document.getElementById("confirm-dialog");
    if (!evt.detail.question || !dialog || typeof dialog.showModal !== "function") {
      return;
    }
    evt.preventDefault();
    const form = evt.detail.elt;
    asking = { issueRequest: evt.detail.issueRequest, opener: document.activeElement };
    dialog.querySelector("#confirm-dialog-title").textContent = evt.detail.question;
    dialog.querySelector("#confirm-dialog-body").textContent = form.dataset.confirmBody || "";
    dialog.querySelector('[value="confirm"]').textContent = form.dataset.confirmAction || "Confirm";
    dialog.returnValue = "";
    dialog.showModal();
  });

  // A button of the dialog closes it and answers at once. The dialog is closed first, so
  // the focus goes back to the button that asked before the request disables it.
  document.addEventListener("submit", (evt) => {
    const dialog = evt.target instanceof Element ? evt.target.closest("dialog") : null;
    if (!isConfirmDialog(dialog)) {
      return;
    }
    evt.preventDefault();
    const choice = evt.submitter ? evt.submitter.value : "";
    dialog.close(choice);
    answer(choice === "confirm");
  });

  // Escape (or any other way the dialog closes) answers no. A close event that arrives
  // while the dialog is open again belongs to an earlier question, already answered.
  document.addEventListener("close", (evt) => {
    if (isConfirmDialog(evt.target) && !evt.target.open) {
      answer(false);
    }
  }, true);

  // Copy buttons copy the text of the element their data-copy names, and say so in the
  // live region. Where the clipboard is refused, the text is selected for Ctrl+C instead.
  const announce = (message) => {
    const region = document.getElementById("announcer");
    if (region) {
      region.textContent = message;
    }
  };
  document.addEventListener("click", async (evt) => {
    const button = evt.target instanceof Element ? evt.target.closest("[data-copy]") : null;
    const source = button && document.getElementById(button.dataset.copy);
    if (!source) {
      return;
    }
    const text = source.textContent.trim();
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
      announce("Copied: " + text);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      announce("Selected the command: press Ctrl+C or Command+C to copy it.");
    }
  });

  // The copy buttons need this script, so they are hidden in the HTML and shown here,
  // on the page and in every card htmx swaps in.
  const reveal = (root) => {
    if (root instanceof Element || root instanceof Document) {
      root.querySelectorAll("[data-copy][hidden]").forEach((b) => { b.hidden = false; });
    }
  };
  reveal(document);
  document.addEventListener("htmx:load", (evt) => reveal(evt.detail.elt));
})();
