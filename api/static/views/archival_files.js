// "Hồ sơ lưu trữ": archival files — the list (with the deposit reminders and the Mục lục hồ sơ), gathering closed
// dossiers by agency, year and procedure, a file made by hand; one file's page: its Decree 30 metadata, its state
// (close, deposit to the agency archive, then to the historical archive) with the history, its dossiers, its
// documents with their editable metadata, the Mục lục văn bản, the whole file as one PDF and its XML.
// Every action goes through the API, which checks roles, scope and holds again.

import * as api from "../api.js";
import { h, dossierLink, errorBox, field, formatDate, formatDateTime, heading, notice, onSubmit, select, table }
  from "../dom.js";
import { fileStateLabel, t } from "../i18n.js";
import { saveBlob } from "./documents.js";
import { openPdf } from "./pdf.js";

const FIELDS = ["TypeName", "CodeNumber", "CodeNotation", "IssuedDate", "OrganName", "Subject", "Language",
  "PageAmount", "SignerPosition", "SignerFullName", "Description"];
const NEXT = { open: ["closed"], closed: ["open", "deposited_agency"], deposited_agency: ["deposited_historical"],
  deposited_historical: [] };
// Labels as literal keys (the UI test checks every key exists in both languages).
const fieldLabel = (name) => ({
  TypeName: t("afiles.f.TypeName"),
  CodeNumber: t("afiles.f.CodeNumber"),
  CodeNotation: t("afiles.f.CodeNotation"),
  IssuedDate: t("afiles.f.IssuedDate"),
  OrganName: t("afiles.f.OrganName"),
  Subject: t("afiles.f.Subject"),
  Language: t("afiles.f.Language"),
  PageAmount: t("afiles.f.PageAmount"),
  SignerPosition: t("afiles.f.SignerPosition"),
  SignerFullName: t("afiles.f.SignerFullName"),
  Description: t("afiles.f.Description"),
})[name];
const moveLabel = (to) => ({
  open: t("afiles.move.open"), closed: t("afiles.move.closed"),
  deposited_agency: t("afiles.move.deposited_agency"), deposited_historical: t("afiles.move.deposited_historical"),
})[to];
const fileHref = (code) => `#/archive/files/${encodeURIComponent(code)}`;
const filePath = (code) => `/archive/files/${encodeURIComponent(code)}`;

function section(id, title, ...children) {
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

async function fill(box, load, render) {
  box.replaceChildren(h("p", { class: "loading", "aria-busy": "true" }, t("app.loading")));
  try {
    box.replaceChildren(render(await load()));
  } catch (error) {
    box.replaceChildren(error.status === 403 ? notice(t("archive.not_allowed"), "info") : errorBox(error));
  }
}

function pdfButton(path, label, filename) {
  const status = h("span", {});
  const button = h("button", { type: "button", class: "button secondary" }, label);
  button.addEventListener("click", () => openPdf({ path, button, label, busyLabel: t("app.loading"), status, filename,
    blockedText: t("archive.pdf_blocked"), openText: t("archive.pdf_open") }));
  return h("span", {}, button, status);
}

function xmlButton(code) {
  const status = h("span", { role: "status" });
  const button = h("button", { type: "button", class: "button secondary", onclick: async () => {
    status.replaceChildren();
    try {
      const { data } = await api.request(`${filePath(code)}/metadata.xml`, { raw: true });
      saveBlob(data, `${code}.xml`);
    } catch (error) { status.replaceChildren(errorBox(error)); }
  } }, t("afiles.xml"));
  return h("span", {}, button, status);
}

const span = (file) => [file.start_date, file.end_date].map((d) => (d ? formatDate(d) : "…")).join(" – ");

function filesTable(caption, files) {
  return table(caption, [t("archive.file_code"), t("archive.title"), t("afiles.span"), t("archive.maintenance"),
    t("archive.totals"), t("archive.deposit_due"), t("archive.state")], files.map((file) => [
    h("a", { href: fileHref(file.file_code), class: "code" }, file.file_code), file.title, span(file),
    file.maintenance, `${file.doc_total} / ${file.page_total}`,
    file.deposit_due_on ? formatDate(file.deposit_due_on) : "", fileStateLabel(file.state)]));
}

function gatherForm(ctx, refresh) {
  const agency = h("input", { type: "text", value: ctx.me.agency_code, maxlength: "40" });
  const year = h("input", { type: "number", min: "1900", max: "2200", value: String(new Date().getFullYear() - 1) });
  const procedure = h("input", { type: "text", maxlength: "40" });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("archive.gather"));
  const form = h("form", { class: "form-grid" }, field(t("archive.agency"), agency, { required: true }),
    field(t("archive.year"), year, { required: true }),
    field(t("archive.procedure"), procedure, { hint: t("afiles.procedure_hint") }), submit, status);
  onSubmit(form, { submit, status, send: async () => {
    const { data } = await api.request("/archive/files/gather", { method: "POST", json: {
      agency_code: agency.value.trim(), year: Number(year.value), procedure_code: procedure.value.trim() || null } });
    if (data.count === 0) status.replaceChildren(notice(t("afiles.gathered_none"), "info"));
    else refresh();
  } });
  return form;
}

function createForm(ctx) {
  const agency = h("input", { type: "text", value: ctx.me.agency_code, maxlength: "40" });
  const year = h("input", { type: "number", min: "1900", max: "2200", value: String(new Date().getFullYear() - 1) });
  const notation = h("input", { type: "text", maxlength: "40", pattern: "[\\w.\\-]{1,40}" });
  const title = h("input", { type: "text", maxlength: "1000" });
  const maintenance = h("input", { type: "text", maxlength: "60", value: "Vĩnh viễn" });
  const rights = h("input", { type: "text", maxlength: "60", value: "Hạn chế sử dụng" });
  const codes = h("textarea", { rows: "2" });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("afiles.create"));
  const form = h("form", { class: "form-grid" }, field(t("archive.agency"), agency, { required: true }),
    field(t("archive.year"), year, { required: true }),
    field(t("afiles.notation"), notation, { required: true, hint: t("afiles.notation_hint") }),
    field(t("archive.title"), title, { required: true, wide: true }),
    field(t("archive.maintenance"), maintenance, { required: true }), field(t("afiles.rights"), rights),
    field(t("afiles.dossiers"), codes, { hint: t("afiles.codes_hint"), wide: true }), submit, status);
  onSubmit(form, { submit, status, send: async () => {
    const { data } = await api.request("/archive/files", { method: "POST", json: {
      organ_id: agency.value.trim(), year: Number(year.value), notation: notation.value.trim(), title: title.value,
      maintenance: maintenance.value, rights: rights.value, dossier_codes: codes.value.split(/[\s,;]+/).filter(Boolean),
    } });
    ctx.navigate(`/archive/files/${data.file_code}`);
  } });
  return form;
}

export async function renderArchivalFiles(ctx) {
  const { main } = ctx;
  const refresh = () => ctx.navigate("/archive/files", { at: String(Date.now()) });
  const yearFilter = ctx.params.get("year") || "";
  const stateFilter = ctx.params.get("state") || "";
  const due = h("div", {});
  fill(due, () => api.get("/archive/files", { deposit_due_within_days: 30 }), (page) => page.count === 0
    ? notice(t("afiles.due_none"), "success") : filesTable(t("afiles.due"), page.data));
  const year = h("input", { type: "number", min: "1900", max: "2200", value: yearFilter });
  const state = select([["", t("afiles.any_state")], ...Object.keys(NEXT).map((s) => [s, fileStateLabel(s)])],
    { value: stateFilter });
  const filter = h("form", { class: "form-grid" }, field(t("archive.year"), year), field(t("archive.state"), state),
    h("button", { type: "submit", class: "button secondary" }, t("afiles.filter")));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate("/archive/files", { year: year.value, state: state.value });
  });
  const list = h("div", {});
  fill(list, () => api.get("/archive/files", { year: yearFilter || null, state: stateFilter || null, limit: 500 }),
    (page) => (page.count === 0 ? notice(t("archive.files_none"), "info") : filesTable(t("archive.files"), page.data)));
  const listPdf = `/archive/files.pdf${yearFilter ? `?year=${encodeURIComponent(yearFilter)}` : ""}`;
  main.append(heading(t("afiles.heading")), h("p", { class: "lead" }, t("afiles.intro")),
    section("afiles-due", t("afiles.due"), h("p", {}, t("afiles.due_intro")), due),
    section("afiles-list", t("archive.files"), filter, list,
      pdfButton(listPdf, t("archive.file_list"), "muc-luc-ho-so.pdf")),
    section("afiles-gather", t("archive.gather"), h("p", {}, t("afiles.gather_intro")), gatherForm(ctx, refresh)),
    section("afiles-create", t("afiles.create"), createForm(ctx)));
}

function stateBox(file, reload) {
  const note = h("input", { type: "text", maxlength: "2000" });
  const status = h("div", { role: "status" });
  const buttons = NEXT[file.state].map((to) => h("button", { type: "button", class: "button", onclick: async () => {
    status.replaceChildren();
    try {
      await api.request(`${filePath(file.file_code)}/state`, { method: "POST", json: { state: to, note: note.value } });
      reload();
    } catch (error) { status.replaceChildren(errorBox(error)); }
  } }, moveLabel(to)));
  const history = file.history.length === 0 ? null : table(t("afiles.history"),
    [t("archive.when"), t("archive.state"), t("afiles.by"), t("afiles.note")],
    file.history.map((step) => [formatDateTime(step.at), fileStateLabel(step.to), step.by, step.note]));
  return h("div", {}, h("p", {}, `${t("archive.state")}: `, h("strong", {}, fileStateLabel(file.state)),
    file.deposit_due_on ? ` — ${t("archive.deposit_due")}: ${formatDate(file.deposit_due_on)}` : ""),
  buttons.length ? h("div", { class: "form-grid" }, field(t("afiles.note"), note), ...buttons) : null, status, history);
}

function dossiersBox(file, reload) {
  const codes = h("textarea", { rows: "2" });
  const status = h("div", { role: "status" });
  const send = async (body) => {
    status.replaceChildren();
    try {
      await api.request(`${filePath(file.file_code)}/dossiers`, { method: "POST", json: body });
      reload();
    } catch (error) { status.replaceChildren(errorBox(error)); }
  };
  const open = file.state === "open";
  const rows = file.dossier_codes.map((code) => [dossierLink(code), open ? h("button", {
    type: "button", class: "button secondary", onclick: () => send({ remove: [code] }) }, t("afiles.remove")) : ""]);
  const add = open ? h("div", { class: "form-grid" }, field(t("afiles.dossiers"), codes, { hint: t("afiles.codes_hint") }),
    h("button", { type: "button", class: "button", onclick: () => send({
      add: codes.value.split(/[\s,;]+/).filter(Boolean) }) }, t("afiles.add"))) : notice(t("afiles.not_open"), "info");
  return h("div", {}, rows.length ? table(t("afiles.dossiers"), [t("afiles.dossier"), ""], rows)
    : notice(t("afiles.no_dossiers"), "info"), add, status);
}

function documentEditor(file, entry, reload) {
  const inputs = Object.fromEntries(FIELDS.map((name) => {
    const type = name === "IssuedDate" ? "date" : name === "PageAmount" ? "number" : "text";
    const value = entry.metadata[name] ?? entry.prefilled[name] ?? "";
    return [name, h("input", { type, value: String(value), min: type === "number" ? "0" : null })];
  }));
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", class: "button" }, t("afiles.save"));
  const form = h("form", { class: "form-grid" }, ...FIELDS.map((name) => field(fieldLabel(name), inputs[name])),
    submit, status);
  onSubmit(form, { submit, status, send: async () => {
    const json = {};
    for (const name of FIELDS) {
      const value = inputs[name].value.trim();
      if (value === "" && (name === "IssuedDate" || name === "PageAmount")) continue;
      json[name] = name === "PageAmount" ? Number(value) : value;
    }
    await api.request(`${filePath(file.file_code)}/documents/${encodeURIComponent(entry.document_id)}`,
      { method: "PATCH", json });
    reload();
  } });
  return h("details", {}, h("summary", {}, t("afiles.edit")), form);
}

function documentsBox(file, reload) {
  if (file.documents.length === 0) return notice(t("afiles.no_documents"), "info");
  const rows = file.documents.map((entry) => {
    const shown = { ...(entry.values || {}), ...entry.metadata };
    const prefilled = entry.values || {};
    const number = [shown.CodeNumber, shown.CodeNotation].filter(Boolean).join("/");
    return [String(entry.doc_ordinal), number, shown.IssuedDate ? formatDate(shown.IssuedDate) : "",
      shown.OrganName || "", shown.Subject || "", String(shown.PageAmount ?? ""), dossierLink(entry.dossier_code),
      file.state === "deposited_historical" ? "" : documentEditor(file, { ...entry, prefilled }, reload)];
  });
  return table(t("afiles.documents"), [t("afiles.ordinal"), t("afiles.f.CodeNotation"), t("afiles.f.IssuedDate"),
    t("afiles.f.OrganName"), t("afiles.f.Subject"), t("afiles.f.PageAmount"), t("afiles.dossier"), ""], rows);
}

export async function renderArchivalFile(ctx) {
  const { main, code } = ctx;
  const reload = () => ctx.navigate(`/archive/files/${code}`, { at: String(Date.now()) });
  const body = h("div", {});
  main.append(h("p", {}, h("a", { href: "#/archive/files" }, `← ${t("afiles.heading")}`)), heading(code), body);
  await fill(body, () => api.get(filePath(code)), (file) => h("div", {},
    section("afile-meta", t("afiles.metadata"), table(t("afiles.metadata"), [t("afiles.field"), t("afiles.value")], [
      ["FileCode", file.file_code], [t("archive.title"), file.title], [t("archive.maintenance"), file.maintenance],
      [t("afiles.rights"), file.rights], [t("afiles.creator"), file.creator], [t("afiles.f.Language"), file.language],
      [t("afiles.span"), span(file)], [t("archive.totals"), `${file.doc_total} / ${file.page_total}`],
      [t("afiles.f.Description"), file.description]]),
    h("div", {}, pdfButton(`${filePath(code)}/documents.pdf`, t("archive.document_list"), "muc-luc-van-ban.pdf"),
      pdfButton(`${filePath(code)}/export.pdf`, t("afiles.export_pdf"), `${code}.pdf`), xmlButton(code))),
    section("afile-state", t("afiles.deposit"), stateBox(file, reload)),
    section("afile-dossiers", t("afiles.dossiers"), dossiersBox(file, reload)),
    section("afile-documents", t("afiles.documents"), documentsBox(file, reload))));
}
