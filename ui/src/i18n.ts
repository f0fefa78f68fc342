// Chinese first, English switchable. The words of the interface live here; the labels of station
// kinds, services, statuses, problems and map apps come from the catalog (one vocabulary, in
// Rust, fetched at start) and nowhere else.
import type { Term, Vocabulary } from "./transport";

export type Lang = "zh" | "en";

const words = {
  title: ["歇脚", "Waystation"],
  tabNearby: ["附近", "Nearby"],
  tabMap: ["地图", "Map"],
  tabRoute: ["沿途", "Route"],
  tabSettings: ["设置", "Settings"],
  tabOperator: ["站长", "Operator"],
  where: ["我的位置", "My position"],
  noPosition: ["未设置位置", "No position set"],
  useMyLocation: ["使用当前定位", "Use my location"],
  locating: ["正在定位…", "Locating…"],
  locateFailed: ["无法定位：{why}。请搜索地名或输入坐标。", "Cannot locate: {why}. Search a place or type coordinates."],
  searchPlace: ["搜索城市、区县或站点", "Search a city, district or station"],
  search: ["搜索", "Search"],
  coordinates: ["坐标（纬度,经度）", "Coordinates (lat,lon)"],
  datum: ["坐标系", "Datum"],
  wgs84: ["WGS-84（GPS）", "WGS-84 (GPS)"],
  gcj02: ["GCJ-02（高德/腾讯）", "GCJ-02 (Amap/Tencent)"],
  setPosition: ["设为我的位置", "Set as my position"],
  pickOnMap: ["在地图上点选", "Tap on the map"],
  pickHint: ["点击地图选择位置", "Tap the map to choose a position"],
  badPosition: ["请输入纬度,经度，例如 22.54,114.06", "Enter latitude,longitude, e.g. 22.54,114.06"],
  openNow: ["现在营业", "Open now"],
  ahead: ["只看前方", "Ahead of me"],
  aheadNeedsHeading: ["行驶中定位后可用", "Needs a heading (when moving)"],
  withinAny: ["不限距离", "Any distance"],
  withinKm: ["{n} 公里内", "Within {n} km"],
  open: ["营业中", "Open"],
  closed: ["已打烊", "Closed"],
  unknown: ["时间未知", "Hours unknown"],
  closesAt: ["{t} 打烊", "closes {t}"],
  opensAt: ["{t} 开门", "opens {t}"],
  tomorrow: ["明天", "tomorrow"],
  synthetic: ["示例数据", "Synthetic example"],
  syntheticNote: ["标有“示例数据”的站点是生成的示例，并非真实站点。", "Stations marked “Synthetic example” are generated, not real."],
  none: ["没有找到符合条件的站点。", "No station matches."],
  nothingYet: ["暂无", "Nothing yet"],
  offline: ["无法连接目录。", "Cannot reach the catalog."],
  found: ["找到 {n} 个站点", "{n} stations"],
  navigate: ["导航", "Navigate"],
  details: ["详情", "Details"],
  close: ["关闭", "Close"],
  hours: ["营业时间", "Hours"],
  phone: ["电话", "Phone"],
  services: ["服务", "Services"],
  notice: ["公告", "Notice"],
  truckSpaces: ["空余货车位", "Free truck spaces"],
  updated: ["更新于 {when}", "Updated {when}"],
  justNow: ["刚刚", "just now"],
  minutesAgo: ["{n} 分钟前", "{n} min ago"],
  hoursAgo: ["{n} 小时前", "{n} h ago"],
  daysAgo: ["{n} 天前", "{n} days ago"],
  report: ["报告问题", "Report a problem"],
  whichService: ["缺少哪项服务", "Which service"],
  note: ["补充说明（可选）", "Note (optional)"],
  send: ["提交", "Send"],
  proposeNew: ["添加缺失的站点", "Add a missing station"],
  proposeChange: ["建议修改", "Suggest a change"],
  proposeChangeOf: ["建议修改：{name}", "Suggest a change: {name}"],
  proposeHow: ["由目录管理员审核后上线；只会提交你改动的内容。", "The catalog's admins review it before it goes live; only what you change is sent."],
  kind: ["类型", "Kind"],
  stationName: ["名称", "Name"],
  address: ["地址", "Address"],
  latLonWgs84: ["位置（纬度、经度，WGS-84）", "Position (latitude, longitude, WGS-84)"],
  noteForReviewer: ["给审核人的说明（可选）", "A note for the reviewer (optional)"],
  contactForReviewer: ["联系方式（可选，仅管理员可见）", "Contact (optional, only admins see it)"],
  proposalQueued: ["已记录，下次同步时送审。", "Recorded; sent for review with the next sync."],
  proposalSent: ["已送审，审核结果见 设置 › 我的提议。", "Sent for review; see Settings › My proposals for how it goes."],
  myProposals: ["我的提议", "My proposals"],
  noProposals: ["还没有提议。", "No proposals yet."],
  newStation: ["新站点", "New station"],
  changeOf: ["修改 {id}：", "Change to {id}:"],
  proposalPending: ["待审核", "Waiting for review"],
  proposalApproved: ["已通过", "Approved"],
  proposalRejected: ["未通过", "Rejected"],
  proposalRefused: ["被拒收", "Refused"],
  proposalWaiting: ["等待同步", "Waiting for a sync"],
  proposalUnknown: ["暂时无法查询", "Cannot ask now:"],
  refresh: ["刷新", "Refresh"],
  console: ["管理", "Admin console"],
  stillTrue: ["这些信息还对吗？", "Still true?"],
  stillTrueAll: ["信息仍然属实", "The listing is still true"],
  openNowFact: ["现在营业", "Open now"],
  freeTruckSpacesFact: ["有空余货车车位", "Free truck spaces"],
  confirmedOnly: ["有人确认过", "Confirmed by drivers"],
  yesStill: ["对", "Yes"],
  notAnymore: ["不对", "No"],
  confirmQueued: ["已记录，下次同步时发送", "Recorded; sent with the next sync"],
  confirmSent: ["谢谢，已记录", "Thanks, recorded"],
  toBeConfirmed: ["待确认", "To be confirmed"],
  confirmedWhen: ["{when}确认", "confirmed {when}"],
  confirmedBy: ["本月 {n} 人确认", "{n} confirmed this month"],
  disputed: ["有争议（{n} 人说不对）", "Disputed ({n} said no)"],
  disputedFacts: ["有争议的信息", "Disputed facts"],
  aboutThisStation: ["司机的反馈（改好下面的信息即可回应）", "What drivers say (answer by fixing the listing below)"],
  reported: ["报告：", "Reported:"],
  proposedChange: ["提议修改：", "Proposed change:"],
  proposalsToReview: ["待审核的提议", "Proposals to review"],
  reports: ["问题报告", "Problem reports"],
  operators: ["账户", "Accounts"],
  field: ["字段", "Field"],
  now: ["现在", "Now"],
  proposed: ["提议", "Proposed"],
  mayDuplicate: ["可能重复：", "May duplicate:"],
  operatorOptional: ["站长账户（可选）", "Operator account (optional)"],
  newOperatorPassword: ["新账户的密码", "A new account's password"],
  rejectReason: ["驳回原因", "Why it is rejected"],
  approve: ["通过", "Approve"],
  reject: ["驳回", "Reject"],
  stationId: ["站点 id", "Station id"],
  assign: ["分配", "Assign"],
  revokeSessions: ["结束登录", "End sessions"],
  removeAccount: ["删除账户", "Remove"],
  createOperator: ["新建站长账户", "New operator account"],
  reportQueued: ["已记录，下次同步时发送。", "Recorded; sent with the next sync."],
  reportSent: ["已发送，谢谢！", "Sent, thank you!"],
  mapNoTiles: ["离线视图：无底图，仅显示站点", "Offline view: no basemap, stations only"],
  mapLoading: ["正在加载 {n} 个站点…", "Loading {n} stations…"],
  mapFailed: ["地图无法显示：{why}", "The map cannot be shown: {why}"],
  route: ["路线文件（GPX 或 GeoJSON）", "Route file (GPX or GeoJSON)"],
  orDestination: ["或选择目的地（按直线）", "Or pick a destination (straight line)"],
  routeWithin: ["离路线", "From the route"],
  alongRoute: ["沿途 {along} · 偏离 {off}", "{along} along · {off} off"],
  arrives: ["{t} 到达", "Arrive {t}"],
  openThen: ["届时营业", "open then"],
  closedThen: ["届时已打烊", "closed then"],
  speed: ["速度", "Speed"],
  speedKmh: ["{v} · {n} 公里/时", "{v} · {n} km/h"],
  depart: ["出发时间（留空为现在，北京时间）", "Departure (empty: now, China time)"],
  openOnArrival: ["只看到达时营业", "Open when I arrive"],
  routeNone: ["请先选择路线文件或目的地。", "Choose a route file or a destination first."],
  language: ["语言", "Language"],
  theme: ["显示", "Display"],
  themeAuto: ["跟随系统", "Follow system"],
  themeLight: ["浅色", "Light"],
  themeDark: ["深色", "Dark"],
  themeContrast: ["高对比度", "High contrast"],
  tiles: ["地图底图", "Basemap"],
  tilesNone: ["无底图（离线）", "None (offline)"],
  tilesTianditu: ["天地图（需密钥）", "Tianditu (needs a key)"],
  tilesAmap: ["高德地图", "Amap"],
  tilesCustom: ["自定义 URL", "Custom URL"],
  tilesKey: ["密钥", "Key"],
  tilesUrl: ["瓦片地址 {z}/{x}/{y}", "Tile URL {z}/{x}/{y}"],
  catalog: ["离线目录", "Offline catalog"],
  catalogFacts: ["{n} 个站点 · {size} · 最近更新 {when}", "{n} stations · {size} · last updated {when}"],
  syntheticShare: ["其中示例数据 {p}%", "{p}% synthetic examples"],
  server: ["目录服务器", "Catalog server"],
  serverKey: ["服务器公钥", "Server public key"],
  syncNow: ["立即同步", "Sync now"],
  syncing: ["同步中…", "Syncing…"],
  syncDone: ["已同步到 #{seq}：{n} 个更新，{d} 个删除", "Synced to #{seq}: {n} updated, {d} deleted"],
  syncUpToDate: ["已是最新（#{seq}）", "Up to date (#{seq})"],
  syncWaiting: ["待发送：{e} 个修改，{r} 个报告，{p} 个提议，{c} 个确认", "Waiting to send: {e} edits, {r} reports, {p} proposals, {c} confirmations"],
  syncLoginNeeded: ["登录已过期：修改在等待，请重新登录", "Your login has expired: edits wait until you log in again"],
  syncCurrentAsOf: ["目录截至 {t}（服务器签名）", "Catalog current as of {t} (signed by the server)"],
  syncServerOnly: ["此页面直接使用服务器上的目录，无需同步。", "This page uses the server's catalog directly; nothing to sync."],
  username: ["用户名", "User name"],
  password: ["密码", "Password"],
  login: ["登录", "Log in"],
  logout: ["退出登录", "Log out"],
  myStations: ["我的站点", "My stations"],
  noStations: ["还没有分配给你的站点。", "No stations are assigned to you yet."],
  edit: ["修改", "Edit"],
  status: ["状态", "Status"],
  save: ["保存", "Save"],
  saved: ["已保存。", "Saved."],
  queued: ["暂时无法连接服务器，修改已保存在本机，下次同步时提交。", "The server cannot be reached; the edit waits on this device and is sent with the next sync."],
  conflict: ["冲突：别人先修改了这个站点，你的修改未保存。", "Conflict: someone changed this station first; your edit was not saved."],
  yours: ["你的修改", "Yours"],
  theirs: ["服务器上的版本", "On the server"],
  pendingEdits: ["等待提交的修改", "Edits waiting to be sent"],
  editRefused: ["服务器拒绝（不再发送）", "Refused by the server (not sent again)"],
} as const;

export type Word = keyof typeof words;

export function t(word: Word, lang: Lang, vars: Record<string, string | number> = {}): string {
  const text: string = words[word][lang === "zh" ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

type Table = "kinds" | "services" | "statuses" | "problems" | "apps" | "vehicles";

/** The catalog's labels of station kinds, services, statuses, problems and map apps. Unknown ids
 * (or any id before the vocabulary loads) show as they are. */
export class Labels {
  private readonly tables = new Map<Table, Map<string, Term>>();

  constructor(readonly vocab: Vocabulary | null) {
    for (const table of ["kinds", "services", "statuses", "problems", "apps", "vehicles"] as const) {
      this.tables.set(table, new Map((vocab?.[table] ?? []).map((term) => [term.id, term])));
    }
  }

  private label(table: Table, id: string, lang: Lang): string {
    const term = this.tables.get(table)?.get(id);
    return term ? term[lang] : id;
  }

  kind(id: string, lang: Lang): string {
    return this.label("kinds", id, lang);
  }

  service(id: string, lang: Lang): string {
    return this.label("services", id, lang);
  }

  status(id: string, lang: Lang): string {
    return this.label("statuses", id, lang);
  }

  problem(id: string, lang: Lang): string {
    return this.label("problems", id, lang);
  }

  app(id: string, lang: Lang): string {
    return this.label("apps", id, lang);
  }

  /** The vehicles a speed can be chosen by, with the speed each stands for. */
  get vehicles(): readonly { id: string; zh: string; en: string; speed_kmh: number }[] {
    return this.vocab?.vehicles ?? [];
  }

  /** The fields an operator may change, as the catalog enforces them (none before it loads). */
  get operatorFields(): readonly string[] {
    return this.vocab?.operator_fields ?? [];
  }
}
