// "Hồ sơ trễ hạn": GET /dossiers/late, most overdue first.

import * as api from "../api.js";
import { h, errorBox, heading, notice, pager } from "../dom.js";
import { t } from "../i18n.js";
import { dossierTable } from "./dossiers.js";

const LIMIT = 50;

export async function renderLate(ctx) {
  const { main, params, navigate } = ctx;
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  main.appendChild(heading(t("late.title")));
  main.appendChild(h("p", { class: "lead" }, t("late.intro")));
  const results = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  main.appendChild(results);

  let page;
  let agencies;
  let procedures;
  try {
    [page, agencies, procedures] = await Promise.all([
      api.get("/dossiers/late", { limit: LIMIT, offset }),
      api.agencyIndex().catch(() => new Map()),
      api.procedureIndex().catch(() => null),
    ]);
  } catch (error) {
    results.replaceChildren(errorBox(error));
    results.removeAttribute("aria-busy");
    return;
  }
  results.removeAttribute("aria-busy");
  results.replaceChildren();
  if (page.count === 0) {
    results.appendChild(notice(t("late.empty"), "success"));
    return;
  }
  const holder = (dossier) => {
    const agency = agencies.get(dossier.holder_agency_code);
    return agency ? agency.short_name || agency.name : dossier.holder_agency_code;
  };
  results.appendChild(dossierTable(page.data, procedures, t("late.caption"), [
    { label: t("late.holder"), cell: (dossier) => holder(dossier) },
  ]));
  results.appendChild(pager(page.count, LIMIT, offset, (next) => navigate("/late", { offset: next || "" })));
}
