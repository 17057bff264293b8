"""Words the synthetic catalog is made of: business nouns per domain, facets, columns.

Kept apart from catalog_gen.py so the generator's logic stays short. Every attribute is
(full_name, abbreviation, type, phrase, comment tail); comments are phrase + tail, and rules
quote the phrase the way analysts do ("the warehouse's storage capacity").
"""

from __future__ import annotations

Attr = tuple[str, str, str, str, str]

# domain -> "noun phrase:abbreviation" (abbreviations are unique across the catalog)
DOMAINS: dict[str, list[str]] = {
    "sales": [
        "customer:cust",
        "sales order:so",
        "quote:qte",
        "sales rep:srep",
        "price list:prl",
        "promotion:promo",
        "sales channel:chnl",
        "sales region:rgn",
    ],
    "inventory": [
        "product:prod",
        "stock item:stk",
        "warehouse:wh",
        "bin location:bin",
        "stock transfer:xfer",
        "inventory count:icnt",
        "product category:pcat",
        "lot:lot",
    ],
    "logistics": [
        "shipment:shp",
        "carrier:carr",
        "route:rte",
        "delivery:dlv",
        "vehicle:veh",
        "freight invoice:finv",
        "dock:dock",
        "parcel:prcl",
    ],
    "finance": [
        "ledger account:gl",
        "journal entry:je",
        "cost center:cc",
        "budget line:bdl",
        "exchange rate:fx",
        "tax code:tax",
        "fiscal period:fp",
        "bank account:bnk",
    ],
    "hr": [
        "employee:emp",
        "department:dept",
        "job position:pos",
        "payroll run:pay",
        "leave request:lv",
        "training course:trn",
        "performance review:prf",
        "benefit plan:ben",
    ],
    "procurement": [
        "supplier:sup",
        "purchase order:po",
        "requisition:preq",
        "supplier contract:sctr",
        "goods receipt:gr",
        "supplier invoice:sinv",
        "sourcing event:srce",
        "catalog item:citm",
    ],
    "marketing": [
        "campaign:cmp",
        "lead:lead",
        "email send:eml",
        "web session:wses",
        "ad impression:adi",
        "survey response:srv",
        "loyalty member:loy",
        "coupon:cpn",
    ],
    "support": [
        "ticket:tkt",
        "support agent:agt",
        "service agreement:sagr",
        "knowledge article:kba",
        "call record:call",
        "escalation:esc",
        "feedback entry:fdb",
        "chat session:chat",
    ],
    "manufacturing": [
        "production order:pro",
        "work center:wc",
        "bill of material:bom",
        "machine:mach",
        "inspection:qi",
        "production shift:shift",
        "routing step:rstep",
        "scrap record:scrp",
    ],
    "billing": [
        "invoice:inv",
        "payment:pmt",
        "subscription:sub",
        "credit note:cn",
        "billing account:bacc",
        "dunning notice:dun",
        "payment method:pmeth",
        "usage record:usg",
    ],
    "it": [
        "application:app",
        "server:svr",
        "user account:usr",
        "access role:role",
        "incident:inc",
        "change request:chg",
        "software license:lic",
        "hardware asset:ast",
    ],
    "facilities": [
        "building:bldg",
        "office floor:flr",
        "meeting room:room",
        "lease contract:lease",
        "work order:mwo",
        "energy meter:mtr",
        "parking space:park",
        "facility cost:fcst",
    ],
}

# facet slug, abbreviation, table comment after the noun, facet-specific attributes
FACETS: list[tuple[str, str, str, list[Attr]]] = [
    (
        "history",
        "hist",
        "change history",
        [
            ("valid_from", "vld_frm", "DATE", "validity start date", ""),
            ("valid_to", "vld_to", "DATE", "validity end date", ""),
            ("change_reason", "chg_rsn", "VARCHAR", "reason for the change", ""),
        ],
    ),
    (
        "daily_snapshot",
        "dsnap",
        "daily snapshot of key figures",
        [
            ("snapshot_date", "snap_dt", "DATE", "snapshot date", ""),
            ("opening_balance", "opn_bal", "DECIMAL(18,2)", "opening balance", "amount"),
            ("closing_balance", "cls_bal", "DECIMAL(18,2)", "closing balance", "amount"),
        ],
    ),
    (
        "locations",
        "loc",
        "locations and storage capacity",
        [
            (
                "storage_capacity",
                "stor_cap",
                "DECIMAL(12,2)",
                "storage capacity",
                "in cubic meters",
            ),
            ("latitude", "lat", "DOUBLE", "latitude", "of the site"),
            ("longitude", "lon", "DOUBLE", "longitude", "of the site"),
        ],
    ),
    (
        "contacts",
        "cont",
        "contact persons and phone numbers",
        [
            ("contact_name", "cnt_nm", "VARCHAR", "contact person", "full name"),
            ("phone_number", "phn_no", "VARCHAR", "phone number", "with country prefix"),
            ("email_address", "eml_adr", "VARCHAR", "email address", ""),
        ],
    ),
    (
        "addresses",
        "addr",
        "postal addresses",
        [
            ("street_line", "str_ln", "VARCHAR", "street and house number", ""),
            ("postal_code", "pst_cd", "VARCHAR", "postal code", ""),
            ("city_name", "cty_nm", "VARCHAR", "city", "name"),
        ],
    ),
    (
        "costs",
        "cost",
        "cost breakdown",
        [
            ("labor_cost", "lab_cst", "DECIMAL(18,2)", "labor cost", "amount"),
            ("material_cost", "mat_cst", "DECIMAL(18,2)", "material cost", "amount"),
            ("overhead_cost", "ovh_cst", "DECIMAL(18,2)", "overhead allocation", "amount"),
        ],
    ),
    (
        "budget",
        "bdgt",
        "annual budget and forecast",
        [
            ("budget_amount", "bdg_amt", "DECIMAL(18,2)", "approved budget", "amount"),
            ("forecast_amount", "fcst_amt", "DECIMAL(18,2)", "forecast", "for the year"),
            ("variance_pct", "var_pct", "DECIMAL(5,2)", "variance against budget", "in percent"),
        ],
    ),
    (
        "ratings",
        "rtg",
        "ratings and scores",
        [
            ("risk_score", "rsk_scr", "INTEGER", "credit risk score", ""),
            ("satisfaction_score", "sat_scr", "INTEGER", "satisfaction score", "from surveys"),
            ("rating_grade", "rtg_grd", "VARCHAR", "rating grade", "letter"),
        ],
    ),
    (
        "schedule",
        "sched",
        "planned schedule and time windows",
        [
            ("planned_start", "pln_strt", "TIMESTAMP", "planned start time", ""),
            ("planned_end", "pln_end", "TIMESTAMP", "planned end time", ""),
            ("time_zone", "tz", "VARCHAR", "time zone", "of the schedule"),
        ],
    ),
    (
        "assignments",
        "asgn",
        "owner assignments",
        [
            ("assignee_name", "asg_nm", "VARCHAR", "responsible person", "name"),
            ("assignment_role", "asg_rl", "VARCHAR", "assignee role", ""),
            ("assigned_date", "asg_dt", "DATE", "assignment date", ""),
        ],
    ),
    (
        "documents",
        "doc",
        "attached documents and files",
        [
            ("file_name", "fl_nm", "VARCHAR", "attached file name", ""),
            ("document_type", "doc_typ", "VARCHAR", "document type", ""),
            ("page_count", "pg_cnt", "INTEGER", "page count", "of the document"),
        ],
    ),
    (
        "metrics",
        "kpi",
        "monthly performance metrics",
        [
            ("on_time_rate", "ot_rt", "DECIMAL(5,2)", "on time rate", "per month"),
            ("utilization_pct", "utl_pct", "DECIMAL(5,2)", "utilization percentage", ""),
            ("throughput_qty", "thru_qty", "INTEGER", "monthly throughput", "quantity"),
        ],
    ),
    (
        "audit",
        "aud",
        "audit trail of user changes",
        [
            ("changed_by", "chg_by", "VARCHAR", "user who made the change", ""),
            ("changed_at", "chg_ts", "TIMESTAMP", "change timestamp", ""),
            ("old_value", "old_val", "VARCHAR", "value before the change", ""),
        ],
    ),
    (
        "status_changes",
        "stch",
        "status transitions",
        [
            ("from_status", "frm_st", "VARCHAR", "previous status", ""),
            ("to_status", "to_st", "VARCHAR", "new status", "after the transition"),
            ("transition_time", "trn_ts", "TIMESTAMP", "transition time", ""),
        ],
    ),
    (
        "hierarchy",
        "hier",
        "parent child hierarchy",
        [
            ("parent_code", "par_cd", "VARCHAR", "parent node code", ""),
            ("hierarchy_level", "hier_lvl", "INTEGER", "hierarchy level", "depth"),
            ("path_text", "pth_txt", "VARCHAR", "full hierarchy path", ""),
        ],
    ),
    (
        "translations",
        "i18n",
        "names translated per language",
        [
            ("language_code", "lang_cd", "VARCHAR", "language code", "ISO 639"),
            ("translated_name", "trn_nm", "VARCHAR", "translated display name", ""),
            ("translated_text", "trn_txt", "VARCHAR", "translated long text", ""),
        ],
    ),
    (
        "exceptions",
        "exc",
        "exceptions and error cases",
        [
            ("error_code", "err_cd", "VARCHAR", "error code", ""),
            ("error_message", "err_msg", "VARCHAR", "error message", "text"),
            ("resolved_flag", "rslv_flg", "BOOLEAN", "resolved flag", "of the exception"),
        ],
    ),
    (
        "notes",
        "note",
        "free text notes and remarks",
        [
            ("note_text", "nt_txt", "VARCHAR", "note text", ""),
            ("author_name", "auth_nm", "VARCHAR", "note author", ""),
            ("note_category", "nt_cat", "VARCHAR", "note category", ""),
        ],
    ),
    (
        "certifications",
        "cert",
        "certifications and compliance checks",
        [
            ("certificate_number", "cert_no", "VARCHAR", "certificate number", ""),
            ("expiry_date", "exp_dt", "DATE", "certificate expiry date", ""),
            ("issuing_body", "iss_bdy", "VARCHAR", "issuing authority", ""),
        ],
    ),
    (
        "pricing",
        "prc",
        "prices and discounts",
        [
            ("list_price", "lst_prc", "DECIMAL(18,2)", "list price", ""),
            ("discount_pct", "dsc_pct", "DECIMAL(5,2)", "discount percentage", ""),
            ("net_price", "net_prc", "DECIMAL(18,2)", "net price", "after discount"),
        ],
    ),
    (
        "weights",
        "wgt",
        "weights and dimensions",
        [
            ("gross_weight", "grs_wgt", "DECIMAL(12,3)", "gross weight", "in kilograms"),
            ("volume_m3", "vol", "DECIMAL(12,3)", "volume", "in cubic meters"),
            ("package_height", "pkg_hgt", "DECIMAL(12,1)", "package height", "in centimeters"),
        ],
    ),
    (
        "emissions",
        "co2",
        "carbon emissions and energy use",
        [
            ("co2_kg", "co2_kg", "DECIMAL(12,3)", "carbon dioxide emissions", "in kilograms"),
            ("energy_kwh", "nrg_kwh", "DECIMAL(12,3)", "energy consumption", "in kilowatt hours"),
            ("renewable_share", "rnw_shr", "DECIMAL(5,2)", "renewable energy share", ""),
        ],
    ),
    (
        "service_levels",
        "slat",
        "service level targets",
        [
            ("response_hours", "rsp_hrs", "INTEGER", "target response time", "in hours"),
            ("resolution_hours", "rsl_hrs", "INTEGER", "target resolution time", "in hours"),
            ("penalty_amount", "pen_amt", "DECIMAL(18,2)", "breach penalty", "amount"),
        ],
    ),
]

# what every master table says about its noun ({n} is the noun phrase)
MASTER_ATTRS: list[Attr] = [
    ("name", "nm", "VARCHAR", "{n} name", ""),
    ("code", "cd", "VARCHAR", "{n} code", "business key"),
    ("category", "cat", "VARCHAR", "{n} category", ""),
    ("status", "st", "VARCHAR", "{n} status", ""),
    ("owner_email", "own_eml", "VARCHAR", "{n} owner email", ""),
    ("opened_date", "opn_dt", "DATE", "{n} opening date", ""),
]

# columns every warehouse carries whatever the table is about
FILLER: list[Attr] = [
    ("created_at", "crt_ts", "TIMESTAMP", "record creation timestamp", ""),
    ("updated_at", "upd_ts", "TIMESTAMP", "last update timestamp", ""),
    ("created_by", "crt_by", "VARCHAR", "created by", "login"),
    ("updated_by", "upd_by", "VARCHAR", "last updated by", "login"),
    ("source_system", "src_sys", "VARCHAR", "source system", "identifier"),
    ("batch_id", "btch_id", "BIGINT", "load batch", "identifier"),
    ("load_ts", "ld_ts", "TIMESTAMP", "warehouse load time", ""),
    ("record_hash", "rec_hsh", "VARCHAR", "record hash", "for change detection"),
    ("is_active", "act_flg", "BOOLEAN", "active flag", ""),
    ("is_deleted", "del_flg", "BOOLEAN", "soft delete flag", ""),
    ("version_no", "ver_no", "INTEGER", "row version", "number"),
    ("currency_code", "curr_cd", "VARCHAR", "currency", "ISO code"),
    ("amount", "amt", "DECIMAL(18,2)", "amount", "in document currency"),
    ("quantity", "qty", "DECIMAL(18,3)", "quantity", ""),
    ("unit_of_measure", "uom", "VARCHAR", "unit of measure", ""),
    ("status_code", "stat_cd", "VARCHAR", "status code", ""),
    ("type_code", "typ_cd", "VARCHAR", "type code", ""),
    ("description", "dsc", "VARCHAR", "description", "free text"),
    ("sort_order", "srt_ord", "INTEGER", "display sort order", ""),
    ("external_ref", "ext_ref", "VARCHAR", "external reference", ""),
    ("legacy_id", "lgcy_id", "VARCHAR", "legacy system key", ""),
    ("country_code", "ctry_cd", "VARCHAR", "country", "ISO code"),
    ("company_code", "co_cd", "VARCHAR", "company code", ""),
    ("tenant_id", "tnt_id", "INTEGER", "tenant", "identifier"),
    ("etl_run_id", "etl_run", "BIGINT", "ETL run", "identifier"),
    ("priority", "prio", "INTEGER", "priority", "1 is highest"),
    ("effective_date", "eff_dt", "DATE", "effective date", ""),
    ("remarks", "rmk", "VARCHAR", "remarks", ""),
    ("reference_number", "ref_no", "VARCHAR", "reference number", ""),
    ("approval_status", "appr_st", "VARCHAR", "approval status", ""),
]
