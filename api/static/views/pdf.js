// PDFs the API makes (control slip, intake receipt): fetched with the bearer token and opened in a new tab
// through a blob URL — a plain link would carry no token.

import * as api from "../api.js";
import { h, errorBox, notice } from "../dom.js";
import { t } from "../i18n.js";

const PDF_URL_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Opens the PDF at `path`. `button` is disabled and shows `busyLabel` meanwhile; errors, and the link to use
 * when the browser blocked the new tab (`blockedText`, `openText`, `filename`), go into `status`;
 * `missingText` replaces the error when this server has no such endpoint. Resolves true when the PDF arrived.
 */
export async function openPdf({ path, method = "GET", query = null, button, label, busyLabel, status, filename,
                                blockedText, openText, missingText = null }) {
  // Open the window now, while the click still counts as a user gesture; fill it when the PDF arrives.
  const win = window.open("", "_blank");
  button.disabled = true;
  button.textContent = busyLabel;
  status.replaceChildren();
  try {
    const { data: blob } = await api.request(path, { method, query, raw: true });
    const url = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
    window.setTimeout(() => URL.revokeObjectURL(url), PDF_URL_LIFETIME_MS);
    if (win && !win.closed) {
      win.location.href = url;
    } else {
      status.appendChild(h("div", { class: "alert alert-info", role: "status" }, blockedText, " ",
        h("a", { href: url, target: "_blank", rel: "noopener", download: filename }, openText)));
    }
    return true;
  } catch (error) {
    if (win) win.close();
    if (missingText && api.isMissingEndpoint(error)) status.appendChild(notice(missingText, "warning"));
    else if (error.status !== 401) status.appendChild(errorBox(error));
    return false;
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

/**
 * The intake receipt is printed by reception (or a leader) of the receiving agency, for the dossier the
 * applicant handed in — not for the linked dossiers opened with it.
 */
export function mayPrintReceipt(me, dossier) {
  return !dossier.parent_code && api.hasRole(me, "reception", "leader", "admin")
    && (api.hasRole(me, "admin") || api.ownAgencies(me).includes(dossier.receiving_agency_code));
}

/** POST …/receipt?format=pdf: a new receipt secret, printed; the secret given before stops working. */
export function printReceipt(code, button, status) {
  return openPdf({
    path: `/dossiers/${encodeURIComponent(code)}/receipt`, method: "POST", query: { format: "pdf" }, button,
    label: t("receipt.print"), busyLabel: t("receipt.busy"), status, filename: `giay-tiep-nhan-${code}.pdf`,
    blockedText: t("receipt.blocked"), openText: t("receipt.open"), missingText: t("receipt.unavailable"),
  });
}
