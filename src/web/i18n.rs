//! The pages' words in Chinese (the default) and English, in one table keyed by message id, and the
//! rule that picks a request's language. Templates read `tr.<id>`; scripts read the same table
//! from the page. User text is never translated or looked up here.

use std::collections::BTreeMap;

pub const LANG_COOKIE: &str = "bidhall_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The language of a request: a valid `?lang=` wins and should be remembered (`true`), then the
/// `bidhall_lang` cookie, then Chinese.
pub fn choose(query: Option<&str>, cookie: Option<&str>) -> (Lang, bool) {
    if let Some(lang) = query.and_then(Lang::parse) {
        return (lang, true);
    }
    (cookie.and_then(Lang::parse).unwrap_or(Lang::Zh), false)
}

/// The message `id` in `lang`; an unknown id shows itself, which the tests forbid.
pub fn t(lang: Lang, id: &str) -> &'static str {
    MESSAGES
        .iter()
        .find(|(key, _, _)| *key == id)
        .map(|(_, zh, en)| if lang == Lang::En { *en } else { *zh })
        .unwrap_or("?")
}

/// Every message in `lang`, for templates and scripts.
pub fn table(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    MESSAGES
        .iter()
        .map(|(key, zh, en)| (*key, if lang == Lang::En { *en } else { *zh }))
        .collect()
}

/// (id, 中文, English).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    // layout
    ("site_name", "公共资源交易平台", "Public Resource Trading Hall"),
    ("skip_to_content", "跳到正文", "Skip to content"),
    ("nav_label", "主导航", "Main navigation"),
    ("nav_board", "交易公告", "Notices"),
    ("nav_workspace", "工作台", "Workspace"),
    ("sign_in", "登录", "Sign in"),
    ("sign_out", "退出", "Sign out"),
    ("signed_in_as", "当前登录：", "Signed in as"),
    ("language", "语言", "Language"),
    ("footer_text", "公开、公平、公正和诚实信用。招标公告、澄清与修改全部公开可查。", "Open, fair, impartial and in good faith. Every notice, clarification and amendment is public."),
    ("footer_time", "所有时间均为北京时间（UTC+8）。", "All times are Beijing time (UTC+8)."),
    ("back_to_board", "返回交易公告", "Back to the notices"),
    ("role_owner", "招标人", "Owner"),
    ("role_agent", "招标代理", "Agent"),
    ("role_tenderer", "投标人", "Tenderer"),
    ("role_supervisor", "行政监督", "Supervisor"),
    ("role_witness", "见证机构", "Witness"),
    ("role_platform", "交易中心", "Platform"),
    // messages
    ("not_found_title", "页面不存在", "Not found"),
    ("not_found_body", "没有找到该页面，它可能尚未发布或已被移除。", "There is no such page; it may not be published or may have been removed."),
    ("unavailable_title", "暂时无法访问", "Temporarily unavailable"),
    ("unavailable_body", "交易平台的存储暂时不可用，请稍后再试。", "The hall's storage is unavailable; please try again shortly."),
    ("workspace_only_title", "工作台仅供招标人和招标代理使用", "The workspace is for owners and agents"),
    ("workspace_only_body", "您的机构不是招标人或招标代理机构。投标人可在交易公告中查看项目并获取招标文件。", "Your organisation is not an owner or an agent. Tenderers can find tenders on the notice board and obtain their documents there."),
    // board
    ("board_title", "招标公告", "Tender notices"),
    ("board_lead", "已发布的招标项目，按截止时间与状态查询。", "Published tenders, searchable by deadline and status."),
    ("search_notices", "查询公告", "Search notices"),
    ("f_q", "关键词", "Keywords"),
    ("q_placeholder", "项目名称、编号、地区…", "Title, project code, region…"),
    ("f_category", "类别", "Category"),
    ("f_region", "地区", "Region"),
    ("f_status", "状态", "Status"),
    ("f_deadline_from", "截止日期从", "Deadline from"),
    ("f_deadline_to", "截止日期至", "Deadline to"),
    ("f_page", "页码", "Page"),
    ("f_query", "查询参数", "Query"),
    ("f_per_page", "每页条数", "Per page"),
    ("any", "全部", "Any"),
    ("search", "查询", "Search"),
    ("reset", "重置", "Reset"),
    ("bad_filter", "查询条件有误：", "Please check the filter:"),
    ("rule_too_long", "内容过长", "too long"),
    ("rule_out_of_range", "超出范围", "out of range"),
    ("rule_too_deep", "结果过多，请缩小查询范围而不是继续翻页", "too many results: narrow the search instead of paging further"),
    ("rule_empty_range", "开始日期晚于结束日期", "the start date is after the end date"),
    ("rule_bad_date", "请输入有效日期，如 2026-12-01", "enter a date such as 2026-12-01"),
    ("rule_unknown_value", "无效的选项", "not a valid choice"),
    ("results_total", "共找到", "Matches:"),
    ("col_title", "项目名称", "Title"),
    ("col_project_code", "项目编号", "Project code"),
    ("col_category", "类别", "Category"),
    ("col_region", "地区", "Region"),
    ("col_estimate", "估算金额", "Estimate"),
    ("col_deadline", "投标截止（北京时间）", "Bid deadline (Beijing)"),
    ("col_status", "状态", "Status"),
    ("no_notices", "没有符合条件的公告。", "No notices match."),
    ("pagination", "分页", "Pages"),
    ("prev_page", "上一页", "Previous"),
    ("next_page", "下一页", "Next"),
    ("page_n_of", "第", "Page"),
    ("cat_construction", "工程", "Construction"),
    ("cat_goods", "货物", "Goods"),
    ("cat_services", "服务", "Services"),
    ("status_bidding", "投标中", "Open for bids"),
    ("status_closed", "已截止", "Closed"),
    ("status_cancelled", "已终止", "Cancelled"),
    ("status_draft", "草稿", "Draft"),
    ("state_draft", "草稿", "Draft"),
    ("state_published", "已发布", "Published"),
    ("state_cancelled", "已终止", "Cancelled"),
    // tender page
    ("overview", "项目概况", "Overview"),
    ("project", "项目", "Project"),
    ("owner", "招标人", "Owner"),
    ("agent", "招标代理机构", "Agent"),
    ("supervisor", "行政监督部门", "Supervising authority"),
    ("evaluation_method", "评标办法", "Evaluation method"),
    ("eval_lowest_evaluated_price", "经评审的最低投标价法", "Lowest evaluated price"),
    ("eval_comprehensive_scoring", "综合评估法", "Comprehensive scoring"),
    ("published_at", "发布时间", "Published"),
    ("schedule", "时间安排", "Schedule"),
    ("beijing_time", "北京时间", "Beijing time"),
    ("docs_from", "招标文件发售开始", "Documents on sale from"),
    ("docs_to", "招标文件发售截止", "Documents on sale until"),
    ("clarification_deadline", "澄清/异议截止", "Clarification deadline"),
    ("bid_deadline", "投标截止（开标）时间", "Bid deadline (opening)"),
    ("description", "项目说明", "Description"),
    ("qualification", "资格要求", "Qualification requirements"),
    ("lots", "标段", "Lots"),
    ("lot", "标段", "Lot"),
    ("lot_name", "标段名称", "Lot name"),
    ("estimate", "估算金额", "Estimate"),
    ("bid_bond", "投标保证金", "Bid bond"),
    ("custodians", "投标文件密钥保管人", "Bid box custodians"),
    ("custodians_k_of_n_pre", "开启投标箱需要", "Opening the bid box needs"),
    ("custodians_k_of_n_post", "位保管人共同参与。", "custodians together."),
    ("custodian_time_release", "定时解密（交易中心）", "Time release (platform)"),
    ("custodian_owner", "招标人", "Owner"),
    ("custodian_agent", "招标代理机构", "Agent"),
    ("custodian_supervisor", "行政监督部门", "Supervisor"),
    ("custodian_witness", "见证机构（公证、纪检）", "Witness (notary, inspection)"),
    ("documents", "招标文件", "Tender documents"),
    ("doc_name", "文件名", "Name"),
    ("doc_size", "大小", "Size"),
    ("doc_state", "状态", "State"),
    ("doc_draft", "草稿", "Draft"),
    ("doc_staged", "待发布", "Staged"),
    ("doc_published", "已发布", "Issued"),
    ("no_documents", "暂无招标文件。", "No documents yet."),
    ("amendments", "澄清与修改", "Clarifications and amendments"),
    ("amendment_no", "第", "No. "),
    ("kind_clarification", "澄清", "Clarification"),
    ("kind_amendment", "修改", "Amendment"),
    ("affects_bids", "可能影响投标文件编制", "May affect bid preparation"),
    ("description_changed", "项目说明已修改", "The description changed"),
    ("qualification_changed", "资格要求已修改", "The qualification requirements changed"),
    ("evaluation_changed", "评标办法已修改", "The evaluation method changed"),
    ("documents_issued", "随附文件", "Documents issued"),
    ("no_amendments", "暂无澄清或修改。", "No clarifications or amendments."),
    ("obtain_documents", "获取招标文件", "Obtain the tender documents"),
    ("open_in_workspace", "在工作台中管理", "Manage in the workspace"),
    // sign-in
    ("login", "用户名", "Login"),
    ("password", "密码", "Password"),
    // workspace
    ("my_tenders", "本机构的招标项目", "Our tenders"),
    ("state", "状态", "State"),
    ("version", "版本", "Version"),
    ("actions", "操作", "Actions"),
    ("manage", "管理", "Manage"),
    ("view_public", "查看公告页", "Public page"),
    ("no_tenders", "还没有招标项目。", "No tenders yet."),
    ("projects", "项目", "Projects"),
    ("project_name", "项目名称", "Project name"),
    ("created_at", "创建时间", "Created"),
    ("no_projects", "还没有项目。", "No projects yet."),
    ("new_project", "新建项目", "New project"),
    ("no_agent", "（自行招标，无代理）", "(no agent: the owner tenders itself)"),
    ("create_project", "创建项目", "Create project"),
    ("new_tender", "新建招标（草稿）", "New tender (draft)"),
    ("need_project_first", "请先创建项目，或等待招标人将项目委托给本机构。", "Create a project first, or wait for an owner to appoint your organisation."),
    ("tender_title", "招标项目名称", "Tender title"),
    ("criteria", "评分因素", "Scoring criteria"),
    ("criteria_hint", "每行一项：名称 权重，权重合计 100，例如“商务 30”。", "One per line: name weight, weights adding up to 100, e.g. “Price 60”."),
    ("schedule_hint", "投标截止时间距招标文件发出之日不少于 20 日；发售期不少于 5 日；澄清截止不晚于投标截止前 10 日。", "The bid deadline is at least 20 days after the documents are issued; documents are on sale at least 5 days; clarifications close at least 10 days before the deadline."),
    ("add_lot", "添加标段", "Add a lot"),
    ("lots_hint", "金额以元为单位，最多两位小数；投标保证金不得超过估算金额的 2%。", "Amounts in yuan with at most two decimals; the bid bond may not exceed 2% of the estimate."),
    ("estimate_yuan", "估算金额（元）", "Estimate (yuan)"),
    ("bid_bond_yuan", "投标保证金（元）", "Bid bond (yuan)"),
    ("remove", "删除", "Remove"),
    ("custodian_k", "开启门限 k", "Threshold k"),
    ("custodian_kind", "保管人类型", "Custodian"),
    ("custodian_org", "机构", "Organisation"),
    ("add_custodian", "添加保管人", "Add a custodian"),
    ("custodians_hint", "交易中心、招标人和代理机构合计不得达到门限 k；行政监督部门和见证机构须选择机构。", "The platform, owner and agent together must stay below k; supervisor and witness custodians name their organisation."),
    ("create_draft", "保存为草稿", "Create draft"),
    ("save_draft", "保存草稿", "Save draft"),
    ("edit_draft", "编辑草稿", "Edit the draft"),
    ("publish", "发布招标公告", "Publish the notice"),
    ("publish_hint", "发布前系统将按《招标投标法》及其实施条例检查时间和金额。", "Before publishing, the hall checks the schedule and amounts against the Tendering and Bidding Law and its regulations."),
    ("violations_title", "不符合以下法定要求，未能发布：", "Not published: these legal requirements are not met:"),
    ("upload_documents", "上传招标文件", "Upload tender documents"),
    ("stage_documents", "上传澄清/修改附件", "Upload documents for an amendment"),
    ("choose_file", "选择文件", "Choose a file"),
    ("upload", "上传", "Upload"),
    ("new_amendment", "发布澄清或修改", "Publish a clarification or amendment"),
    ("amendment_kind", "类型", "Kind"),
    ("amendment_summary", "摘要", "Summary"),
    ("amendment_body", "内容", "Text"),
    ("affects_bids_label", "该澄清或修改可能影响投标文件编制（须在投标截止 15 日前发出）", "This may affect how bids are prepared (must be issued at least 15 days before the deadline)"),
    ("changes", "修改事项", "Changes"),
    ("changes_hint", "只填需要修改的项", "fill in only what changes"),
    ("now_value", "当前：", "Now:"),
    ("attach_staged", "随附已上传的文件", "Issue the uploaded documents"),
    ("use_earliest_deadline", "采用最早的合法截止时间并重新提交", "Use the earliest legal deadline and resubmit"),
    ("publish_amendment", "发布", "Publish"),
    ("cancel_tender", "终止招标", "Cancel the tender"),
    ("cancel_reason", "终止原因", "Reason"),
    // audit log page
    ("nav_audit", "审计日志", "Audit log"),
    ("audit_title", "审计日志", "Audit log"),
    ("audit_lead", "交易平台的每一项操作都记入只增不改的透明日志（RFC 9162 默克尔树）。本页在您的浏览器中独立核验：检查点的签名、每个条目的包含证明，以及日志自上次访问以来只增未改。", "Every action in the hall is recorded in an append-only transparency log (an RFC 9162 Merkle tree). This page checks it independently, in your browser: the checkpoint's signature, each entry's inclusion proof, and that the log only grew since your last visit."),
    ("audit_needs_js", "核验在浏览器中进行，需要启用 JavaScript。", "The checks run in your browser and need JavaScript."),
    ("checkpoint", "当前检查点", "Current checkpoint"),
    ("cp_origin", "日志标识", "Origin"),
    ("cp_size", "条目数", "Tree size"),
    ("cp_root_hex", "根哈希（十六进制）", "Root hash (hex)"),
    ("cp_root_b64", "根哈希（Base64）", "Root hash (base64)"),
    ("cp_signatures", "签名", "Signatures"),
    ("cp_key", "日志公钥", "Log public key"),
    ("cp_note", "签名原文", "Signed note"),
    ("cp_refresh", "刷新", "Refresh"),
    ("cp_sign_new", "签署新的检查点", "Sign a fresh checkpoint"),
    ("consistency", "一致性（只增不改）", "Consistency (append-only)"),
    ("consistency_hint", "浏览器保存上次看到的检查点，并核验当前检查点是由它追加而来。", "Your browser keeps the last checkpoint it saw and checks that the current one only appends to it."),
    ("consistency_forget", "清除保存的检查点", "Forget the saved checkpoint"),
    ("entries", "日志条目", "Log entries"),
    ("entries_of_tender", "招标项目：", "Tender:"),
    ("f_tender_id", "招标项目 ID", "Tender id"),
    ("tender_id_placeholder", "留空查看全部日志", "leave empty for the whole log"),
    ("bad_tender_id", "这不是有效的招标项目 ID。", "That is not a tender id."),
    ("show_entries", "查看", "Show"),
    ("whole_log", "全部日志", "Whole log"),
    ("col_index", "序号", "Index"),
    ("col_kind", "事件", "Event"),
    ("col_time", "时间（北京时间）", "Time (Beijing)"),
    ("col_actor", "操作者", "Actor"),
    ("col_verify", "包含证明", "Inclusion"),
    ("more_entries", "更多", "More"),
    ("verify_all", "全部核验", "Verify all shown"),
    // audit log page script
    ("js_loading", "正在加载…", "Loading…"),
    ("js_verify", "核验", "Verify"),
    ("js_verified", "✓ 已核验", "✓ verified"),
    ("js_verified_in", "包含在检查点中，条目数", "included in the checkpoint of size"),
    ("js_not_verified", "✗ 未通过", "✗ not verified"),
    ("js_unsigned_caveat", "（但检查点的签名未经核验）", "(but the checkpoint's signature was not verified)"),
    ("js_not_covered", "该条目晚于当前检查点。", "This entry is newer than the checkpoint."),
    ("js_no_checkpoint", "日志尚无检查点。", "The log has no checkpoint yet."),
    ("js_sign_and_retry", "签署新检查点并重试", "Sign a fresh checkpoint and retry"),
    ("js_sig_ok", "✓ 日志签名有效（已在浏览器中以 Ed25519 核验）。", "✓ The log's signature verifies (Ed25519, checked in your browser)."),
    ("js_sig_bad", "✗ 日志签名无效：", "✗ The log's signature does not verify:"),
    ("js_sig_not_checked", "未能取得日志公钥，签名未核验。", "The log's key is unavailable; the signature was not checked."),
    ("js_sig_log", "日志签名", "log signature"),
    ("js_sig_witness", "见证副署", "witness cosignature"),
    ("js_sig_other", "其他签名", "other signature"),
    ("js_key_id", "密钥 ID", "key id"),
    ("js_cosigned_at", "副署时间", "cosigned at"),
    ("js_consistency_first", "首次核验：已在浏览器中保存此检查点，下次访问时将核验日志只增未改。", "First visit: this checkpoint is now saved in your browser; next time the page checks that the log only grew."),
    ("js_consistency_same", "✓ 与上次看到的检查点相同。", "✓ The same checkpoint as last time."),
    ("js_consistency_ok", "✓ 日志只增未改：", "✓ The log only grew:"),
    ("js_consistency_bad", "✗ 一致性核验失败：", "✗ The consistency check failed:"),
    ("js_consistency_shrank", "日志比上次看到的更小（可能被回滚）", "the log is smaller than when you last saw it (rolled back?)"),
    ("js_consistency_other_log", "保存的检查点属于另一个日志，已改为保存当前检查点。", "The saved checkpoint was of another log; the current one is saved instead."),
    ("js_consistency_unsigned", "检查点签名无效，未作一致性核验，也未保存。", "The checkpoint's signature is invalid: it was neither checked for consistency nor saved."),
    ("js_entry_count", "已显示条目：", "Entries shown:"),
    ("js_no_entries", "没有日志条目。", "No log entries."),
    ("js_json", "条目内容（JSON）", "Entry (JSON)"),
    ("js_actor_user", "用户", "User"),
    ("js_actor_committed", "投标人（开标前身份保密）", "Tenderer (identity sealed until the opening)"),
    ("js_actor_system", "系统", "System"),
    ("js_reason_root_mismatch", "根哈希不匹配", "root mismatch"),
    ("js_reason_bad_proof_length", "证明长度错误", "proof has wrong length"),
    ("js_reason_index_out_of_range", "序号超出日志范围", "index outside the tree"),
    ("js_reason_old_larger_than_new", "旧检查点大于新检查点", "the old tree is larger than the new one"),
    ("js_reason_bad_hash", "证明中的哈希格式错误", "a proof hash is malformed"),
    ("js_reason_bad_proof", "证明格式错误", "malformed proof"),
    ("js_reason_bad_base64", "Base64 格式错误", "malformed base64"),
    ("js_reason_bad_hex", "十六进制格式错误", "malformed hex"),
    ("js_reason_bad_index", "序号无效", "invalid index"),
    ("js_reason_bad_size", "日志大小无效", "invalid tree size"),
    ("js_reason_bad_note", "签名文本格式错误", "malformed signed note"),
    ("js_reason_bad_checkpoint", "检查点格式错误", "malformed checkpoint"),
    ("js_reason_bad_key", "日志公钥格式错误", "malformed log key"),
    ("js_reason_no_signature", "没有日志公钥的签名", "no signature by the log's key"),
    ("js_reason_bad_signature", "签名无效", "invalid signature"),
    ("js_reason_ed25519_unsupported", "此浏览器不支持 Ed25519，签名未核验。", "This browser has no Ed25519; the signature was not checked."),
    ("js_reason_proof_mismatch", "服务器返回的证明与请求不符", "the server sent a proof for another index or size"),
    ("js_reason_bad_entry", "条目字节不是有效的 JSON，显示的是服务器提供的副本", "the entry bytes are not valid JSON; showing the server's copy"),
    ("js_kind_organisation_registered", "机构登记", "Organisation registered"),
    ("js_kind_user_created", "用户创建", "User created"),
    ("js_kind_signing_key_registered", "签名密钥登记", "Signing key registered"),
    ("js_kind_tenderer_registered", "投标人登记", "Tenderer registered"),
    ("js_kind_project_created", "项目创建", "Project created"),
    ("js_kind_tender_drafted", "招标草稿创建", "Tender drafted"),
    ("js_kind_tender_draft_edited", "招标草稿修改", "Tender draft edited"),
    ("js_kind_tender_imported", "招标项目导入", "Tender imported"),
    ("js_kind_tender_published", "招标公告发布", "Tender published"),
    ("js_kind_tender_amended", "澄清或修改发布", "Clarification or amendment published"),
    ("js_kind_tender_cancelled", "招标终止", "Tender cancelled"),
    ("js_kind_tender_document_uploaded", "招标文件上传", "Tender document uploaded"),
    ("js_kind_tender_documents_obtained", "招标文件获取", "Tender documents obtained"),
    // scripts
    ("js_network_error", "网络错误，请检查连接后重试。", "Network error: check the connection and try again."),
    ("js_working", "正在处理…", "Working…"),
    ("js_created", "已创建。", "Created."),
    ("js_saved", "已保存。", "Saved."),
    ("js_published", "已发布。", "Published."),
    ("js_uploaded", "已上传。", "Uploaded."),
    ("js_cancelled", "已终止。", "Cancelled."),
    ("js_obtained", "已获取招标文件，获取时间：", "Documents obtained at"),
    ("js_bad_money", "请输入金额（元），最多两位小数。", "Enter an amount in yuan with at most two decimals."),
    ("js_bad_time", "请选择日期和时间。", "Choose a date and time."),
    ("js_required", "必填。", "Required."),
    ("js_need_org", "请选择机构。", "Choose an organisation."),
    ("js_bad_criteria", "每行应为“名称 权重”，权重为整数。", "Each line is “name weight” with a whole-number weight."),
    ("js_no_file", "请选择文件。", "Choose a file."),
    ("js_nothing_changed", "请至少填写一项修改，或选择“澄清”。", "Fill in at least one change, or choose clarification."),
    ("js_confirm_cancel", "确定终止此招标？此操作不可撤销。", "Cancel this tender? This cannot be undone."),
    ("js_article", "依据", "Under"),
    ("js_earliest", "最早可为", "Earliest"),
    ("js_too_late", "该修改距投标截止不足 15 日。建议的最早投标截止时间：", "Too close to the bid deadline. The earliest legal bid deadline is"),
    // draw page
    ("draw_title", "随机抽取", "Random draw"),
    ("draw_lead", "本次抽取按 bidhall-draw/1 协议进行：候选名单在任何承诺之前冻结并公布哈希，各方在各自浏览器中生成随机数并先承诺后揭示，结果可由任何人离线复算。", "This draw follows bidhall-draw/1: the pool is frozen and its hash published before any commitment, each party makes its randomness in its own browser and commits before revealing, and anyone can re-run the result offline."),
    ("draw_needs_js", "抽取页面需要启用 JavaScript。", "The draw page needs JavaScript."),
    ("draw_announcement", "公告", "Announcement"),
    ("draw_phase", "阶段", "Phase"),
    ("draw_counts", "抽取人数（备选）", "Selected (reserves)"),
    ("draw_deadlines", "承诺截止 / 揭示截止", "Commit / reveal deadline"),
    ("draw_beacon", "公共随机信标", "Public beacon"),
    ("draw_rule", "未揭示的处理", "Missed reveal rule"),
    ("draw_pool", "候选名单", "Pool"),
    ("draw_pool_hash", "名单哈希", "Pool hash"),
    ("draw_excluded", "未入选名单及原因", "Excluded, with reasons"),
    ("draw_parties", "随机数提供方", "Parties contributing randomness"),
    ("draw_party", "参与方", "Party"),
    ("draw_committed", "已承诺", "Committed"),
    ("draw_revealed", "已揭示", "Revealed"),
    ("draw_my_part", "本单位的操作", "Your organisation's part"),
    ("draw_commit", "生成随机数并承诺", "Make randomness and commit"),
    ("draw_reveal", "揭示", "Reveal"),
    ("draw_conduct", "执行抽取", "Conduct the draw"),
    ("draw_secret_hint", "随机数只保存在本浏览器中，揭示前请勿清除浏览器数据；也可复制保存备份。", "The random value stays in this browser only; keep it until you reveal, or copy it as a backup."),
    ("draw_secret", "本方随机数（十六进制）", "Your random value (hex)"),
    ("draw_result", "抽取结果", "Result"),
    ("draw_selected", "入选", "Selected"),
    ("draw_reserves", "备选（按顺序）", "Reserves, in order"),
    ("draw_replacements", "替补记录", "Replacements"),
    ("draw_failed", "本次抽取公开失败（有参与方未揭示），不得重抽，须重新公告。", "The draw failed publicly (a party missed its reveal); it is never re-run, a new draw must be announced."),
    ("draw_verify", "在浏览器中复算", "Re-run in this browser"),
    ("draw_verified", "复算一致：记录可信。", "Re-run matches: the transcript verifies."),
    ("draw_verify_failed", "复算不一致，出错步骤：", "The re-run differs, at step:"),
    ("draw_transcript", "下载抽取记录", "Download the transcript"),
    ("draw_done", "已完成", "Done"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_beats_cookie_beats_default() {
        assert_eq!(choose(None, None), (Lang::Zh, false));
        assert_eq!(choose(None, Some("en")), (Lang::En, false));
        assert_eq!(choose(Some("zh"), Some("en")), (Lang::Zh, true));
        assert_eq!(choose(Some("EN"), None), (Lang::En, true));
        // Nonsense is ignored, not remembered.
        assert_eq!(choose(Some("klingon"), Some("en")), (Lang::En, false));
        assert_eq!(choose(Some("<x>"), Some("??")), (Lang::Zh, false));
    }

    #[test]
    fn message_ids_are_unique_and_translated() {
        let mut ids: Vec<&str> = MESSAGES.iter().map(|(k, _, _)| *k).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "a message id appears twice");
        for (id, zh, en) in MESSAGES {
            assert!(!zh.is_empty() && !en.is_empty(), "{id} lacks a translation");
        }
        assert_eq!(t(Lang::Zh, "nav_board"), "交易公告");
        assert_eq!(t(Lang::En, "nav_board"), "Notices");
    }
}
