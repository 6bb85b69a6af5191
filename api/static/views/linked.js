// Linked ("3 in 1", liên thông) dossiers in the dossier view: why the reader sees the dossier, the link from
// a linked dossier to its group, and the group dossier's progress over its linked dossiers.

import { h, dossierLink, formatDateTime, formatNumber, lateBadge, stateBadge, table, timeElement } from "../dom.js";
import { accessReasonLabel, t } from "../i18n.js";
import { procedureCell } from "./dossiers.js";

/** "Why you see this dossier": the access rule's reason, e.g. shared, linked dossier, took part. */
export function accessReasonLine(dossier) {
  if (!dossier.access_reason) return null;
  return h("p", { class: "access-reason" },
    h("span", { class: "muted" }, `${t("access.reason_intro")} `),
    h("strong", { class: `reason reason-${dossier.access_reason}` }, accessReasonLabel(dossier.access_reason)));
}

/** For a linked dossier: the group dossier it was received with. */
export function parentNotice(dossier) {
  if (!dossier.parent_code) return null;
  return h("div", { class: "alert alert-info group-parent" },
    h("p", {}, t("group.child_of"), " ", dossierLink(dossier.parent_code)),
    h("p", { class: "small" }, t("group.child_hint")));
}

/** The group dossier's card: done / total as a bar, late count, the latest due date, one row per dossier. */
export function groupPanel(dossier, procedures, agencyName) {
  const group = dossier.group;
  if (!group) return null;
  const barId = "group-progress-label";
  const progress = h("div", { class: "group-progress" },
    h("p", { id: barId, class: "group-progress-label" },
      t("group.progress", { done: formatNumber(group.done, 0), total: formatNumber(group.total, 0) })),
    h("progress", { max: String(group.total || 1), value: String(group.done), "aria-labelledby": barId }));
  const facts = h("dl", { class: "facts" },
    h("dt", {}, t("group.late")), h("dd", {}, group.late > 0
      ? h("span", { class: "badge late" }, t("group.late_count", { n: formatNumber(group.late, 0) }))
      : t("field.not_late")),
    h("dt", {}, t("group.latest_due")), h("dd", {}, timeElement(group.latest_due_at)));
  const rows = group.dossiers.map((linked) => [
    dossierLink(linked.code),
    procedureCell(linked.procedure_code, procedures),
    agencyName(linked.receiving_agency_code),
    agencyName(linked.holder_agency_code),
    stateBadge(linked.state),
    [timeElement(linked.due_at), linked.resolved_at
      ? h("span", { class: "block muted small" }, t("group.resolved_on", { date: formatDateTime(linked.resolved_at) }))
      : null],
    lateBadge(linked.overdue_days) || h("span", { class: "muted" }, t("field.not_late")),
    linked.done ? h("span", { class: "badge done" }, t("group.done_yes")) : h("span", { class: "muted" }, t("group.done_no")),
  ]);
  return h("section", { class: "panel group-panel", "aria-labelledby": "group-title" },
    h("h2", { id: "group-title" }, t("group.title")),
    h("p", { class: "hint" }, t("group.intro")),
    progress, facts,
    table(t("group.caption"), [t("field.code"), t("field.procedure"), t("field.receiving_agency"),
      t("field.holder_agency"), t("field.state"), t("field.due_at"), t("field.overdue"), t("group.done")], rows));
}
