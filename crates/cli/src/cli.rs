//! Command-line arguments. Help text is bilingual: Chinese first, English after.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use waystation_catalog::links::App;
use waystation_catalog::model::{Problem, UnknownId};
use waystation_catalog::request::fields::NumberText;
use waystation_catalog::request::{
    AlongRequest, DetailRequest, FilterFields, NearRequest, SearchRequest, limits,
};
use waystation_catalog::{Crs, Service, Status};

#[derive(Parser)]
#[command(
    name = "waystation",
    version,
    about = "歇脚 Waystation — 为货车司机、快递外卖骑手和户外劳动者查找最近的服务站点（离线可用）\n\
             Find the nearest service station for truck drivers, couriers and outdoor workers — offline.",
    after_help = "示例 Examples:\n  \
        waystation near 22.54,114.06 --service shower --open-now\n  \
        waystation near 30.60,114.30 --kind driver_home --heading 90 --within 50\n  \
        waystation search 南山 --near 22.54,113.93\n  \
        waystation along route.gpx --within 2km --service truck_parking --speed truck --depart 2026-11-29T20:00+08:00\n  \
        waystation link syn-dh-000001 --app amap\n  \
        waystation propose --kind caring_merchant --name 热水小店 --at 36.95,100.2 --service drinking_water\n  \
        waystation --catalog server.sqlite serve --addr 0.0.0.0:8080\n  \
        waystation sync https://SERVER --key PUBLIC_KEY\n  \
        waystation operator edit STATION_ID --status temporarily_closed --service +shower\n\n\
        内置目录为生成的示例数据（示例数据），并非真实站点。\n\
        The built-in catalog is generated example data (示例数据), not real stations."
)]
pub struct Cli {
    /// 目录文件路径 Catalog file (default: the user's data directory, created on first use from the built-in seed)
    #[arg(long, global = true, env = "WAYSTATION_CATALOG", value_name = "PATH")]
    pub catalog: Option<PathBuf>,

    /// 显示语言 Language of labels and messages
    #[arg(long, global = true, env = "WAYSTATION_LANG", default_value = "zh")]
    pub lang: LangArg,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

#[derive(Subcommand)]
pub enum Command {
    /// 最近的站点 The nearest stations to a position
    Near(NearArgs),
    /// 按名称或地址搜索 Search stations by name or address
    Search(SearchArgs),
    /// 沿路线的站点 Stations along a route (GeoJSON LineString or GPX track)
    Along(AlongArgs),
    /// 站点详情及导航链接 A station's details, with navigation links
    Show(ShowArgs),
    /// 打开导航的链接 The link that hands a station to a map app
    Link(LinkArgs),
    /// 导入 CSV 或 GeoJSON（按 id 更新；全部成功或全部不变）Import CSV or GeoJSON (upsert by id; all or nothing)
    Import(ImportArgs),
    /// 导出目录 Export the catalog
    Export(ExportArgs),
    /// 生成示例数据（CSV）Generate synthetic example stations as CSV
    Gen(GenArgs),
    /// 目录信息 Catalog facts: counts per kind, schema version, path, synthetic share
    Info(InfoArgs),
    /// 在 PostgreSQL 中建立或升级目录结构；加 --from 时把 SQLite 目录整体复制进去（全部成功或全部不变）Create or upgrade the catalog's schema in PostgreSQL; with --from, copy a SQLite catalog in (all or nothing)
    Migrate(MigrateArgs),
    /// 启动公共目录服务器 Run the public catalog server over this catalog
    Serve(ServeArgs),
    /// 生成新的签名密钥文件（0600）并显示公钥：同一目录的每个服务器副本都用它签名 Write a new signing key file (mode 0600) and print its public key: every replica of one catalog signs with it
    Keygen(KeygenArgs),
    /// 报告站点问题（下次同步时发送）Report a problem with a station; sent with the next sync
    Report(ReportArgs),
    /// 确认（或用 --no 否认）站点的某项信息：open、free_truck_spaces 或某项服务；下次同步时发送 Confirm (or, with --no, deny) a fact of a station — open, free truck spaces, or a service — sent with the next sync
    Confirm(ConfirmArgs),
    /// 提议新站点或修改（下次同步时发送，由管理员审核）Propose a new station or a change to one; sent with the next sync, reviewed by the catalog's admins
    Propose(ProposeArgs),
    /// 我的提议及审核结果 Your proposals and how each went (asks their server)
    Proposals(ProposalsArgs),
    /// 与目录服务器同步 Sync with a catalog server (first time: give its URL and public key)
    Sync(SyncArgs),
    /// 管理账户与提议（在服务器的目录或数据库上）Manage accounts and proposals, on the server's catalog file or database
    Admin(AdminArgs),
    /// 站点运营者：登录、修改自己的站点 Station operators: log in, edit your stations
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Args)]
pub struct ServeArgs {
    /// 监听地址 Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// 删除记录保留天数；更旧的客户端需重新下载快照 Days tombstones are kept; older clients take a snapshot
    #[arg(long, default_value_t = 30)]
    pub tombstone_days: i64,
    /// 网页界面目录（`npm run build` 的输出）The built web UI to serve at / (default: ui/dist if it exists)
    #[arg(long, env = "WAYSTATION_UI", value_name = "DIR")]
    pub ui: Option<std::path::PathBuf>,
    /// 前置反向代理的地址：来自它的请求按 X-Forwarded-For 计算客户端地址（用于限流，以及确认计数中的"一人一票"）The reverse proxy in front (its address): for requests from it, the limits on logins, reports, proposals and confirmations, and who counts as one voice in the tallies, use the address it put last in X-Forwarded-For (without it, everyone behind the proxy is one address)
    #[arg(long, value_name = "IP")]
    pub trust_proxy: Option<std::net::IpAddr>,
    /// 签名目录头的有效分钟数：客户端超过这段时间收不到新的目录头就提示"目录可能已过时" Minutes a signed head holds: a client that gets no newer one for this long says its catalog may be stale (how long replayed answers can hide news)
    #[arg(long, value_name = "MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(2..=1440))]
    pub head_minutes: u32,
    /// 签名密钥文件（`waystation keygen` 生成）；不给出时使用目录旁的 <目录>.signing-key（没有则新建）；用数据库时必须给出，且各副本用同一个 The signing key file (made by `waystation keygen`); without it, <catalog>.signing-key beside the catalog (created if missing). With --database it must be given, the same file on every replica
    #[arg(long, env = "WAYSTATION_SIGNING_KEY_FILE", value_name = "FILE")]
    pub signing_key: Option<std::path::PathBuf>,
    /// 作为副本服务 PostgreSQL 中的目录（多个副本可共用一个数据库）Serve the catalog in PostgreSQL as one of any number of replicas
    #[command(flatten)]
    pub database: DatabaseArg,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// 新密钥文件（已存在则拒绝覆盖）Where to write the new key (an existing file is never overwritten)
    pub file: std::path::PathBuf,
}

#[derive(Args)]
pub struct SyncArgs {
    /// 服务器地址（首次同步后会记住）Server URL (remembered after the first sync)
    pub url: Option<String>,
    /// 服务器公钥（`waystation serve` 会打印）The server's public key, as `waystation serve` printed it
    #[arg(long)]
    pub key: Option<String>,
    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

#[derive(Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// 新建账户（密码从终端或标准输入读取）Create an account; the password is read from the terminal or stdin
    AddUser {
        /// 用户名 User name: 1-32 lowercase letters, digits, `.`, `_` or `-`
        name: String,
        /// 角色 Role: operator (edits assigned stations) or admin (everything)
        #[arg(long, value_parser = ["operator", "admin"])]
        role: String,
    },
    /// 把站点分配给运营者 Let an operator edit a station
    Assign {
        /// 运营者用户名 The operator's user name
        name: String,
        /// 站点 id Station id
        station_id: String,
    },
    /// 收回运营者的站点 Stop an operator editing a station
    Unassign {
        /// 运营者用户名 The operator's user name
        name: String,
        /// 站点 id Station id
        station_id: String,
    },
    /// 删除账户（连同其登录和分配）Remove an account with its sessions and assignments
    RemoveUser {
        /// 用户名 User name
        name: String,
    },
    /// 重设密码并结束其所有登录（密码从终端或标准输入读取）Set a new password and end every session
    SetPassword {
        /// 用户名 User name
        name: String,
    },
    /// 结束账户的所有登录 End every session of an account (its tokens stop working)
    RevokeSessions {
        /// 用户名 User name
        name: String,
    },
    /// 列出账户、角色和站点 List accounts, their roles and stations
    Users,
    /// 更换服务器签名密钥（新密钥由旧密钥签名交接，客户端自动跟随；之后重启服务器）Re-key the server: the old key signs the handover, clients follow it; restart the server afterwards
    RotateKey {
        /// 要更换的密钥文件（`serve --signing-key` 用的那个）；不给出时为目录旁的密钥 The key file to re-key (the one `serve --signing-key` is given); without it, the key beside the catalog
        #[arg(long, env = "WAYSTATION_SIGNING_KEY_FILE", value_name = "FILE")]
        signing_key: Option<PathBuf>,
    },
    /// 列出账户的有效登录 List an account's live sessions
    Sessions {
        /// 用户名 User name
        name: String,
    },
    /// 列出提议（默认待审核）List proposals (pending unless --state says otherwise)
    Proposals {
        /// 状态 State: pending, approved, rejected
        #[arg(long, default_value = "pending")]
        state: String,
        #[arg(long, help = JSON_HELP)]
        json: bool,
    },
    /// 通过提议：新建或修改站点，客户端下次同步即可看到 Approve a proposal: the station is created or changed and reaches clients with their next sync
    Approve {
        /// 提议编号 Proposal id
        id: i64,
        /// 把站点分配给该站长账户（不存在则新建，密码从终端或标准输入读取）Assign the station to this operator; a new account's password is read from the terminal or stdin
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
    },
    /// 驳回提议（提议人可看到原因）Reject a proposal, with the reason its proposer sees
    Reject {
        /// 提议编号 Proposal id
        id: i64,
        /// 原因 Why
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// 登录服务器 Log in to a catalog server (the token is kept in the local catalog)
    Login {
        /// 服务器地址 Server URL, e.g. http://127.0.0.1:8080
        url: String,
        /// 用户名 User name
        #[arg(long)]
        user: String,
    },
    /// 修改站点（离线时进入待发送队列）Edit a station; offline, the edit waits for the next sync
    Edit(EditArgs),
    /// 列出待发送和被拒绝的修改 List edits waiting to be sent, and those the server refused (with its reason)
    Pending,
    /// 丢弃被服务器拒绝的修改 Forget the edits the server refused
    DiscardRefused,
}

#[derive(Args)]
pub struct EditArgs {
    /// 站点 id（须已分配给你）Station id (assigned to you)
    pub id: String,
    /// 状态 Status: open, temporarily_closed, closed
    #[arg(long, value_parser = vocab::<Status>)]
    pub status: Option<Status>,
    /// 服务：+shower 增加，-laundry 去掉 Services: +shower adds, -laundry removes
    #[arg(long = "service", value_name = "+S|-S", allow_hyphen_values = true)]
    pub services: Vec<String>,
    /// 营业时间 Opening hours (OpenStreetMap syntax, e.g. "24/7")
    #[arg(long)]
    pub hours: Option<String>,
    /// 公告（空字符串清除）Notice; an empty string clears it
    #[arg(long)]
    pub notice: Option<String>,
    /// 电话 Phone
    #[arg(long)]
    pub phone: Option<String>,
    /// 现在空余的货车位 Free truck spaces now
    #[arg(long)]
    pub free_trucks: Option<u32>,
    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

/// A proposal: a new station (kind, name and position needed) or, with `--station`, only the
/// fields that change.
#[derive(Args)]
pub struct ProposeArgs {
    /// 要修改的站点 id（不填则为新站点）The station to change (none: a new station)
    #[arg(long, value_name = "ID")]
    pub station: Option<String>,
    /// 类型 Kind: driver_home, warm_bee, caring_merchant, worker_station
    #[arg(long)]
    pub kind: Option<String>,
    /// 名称 Name
    #[arg(long)]
    pub name: Option<String>,
    /// 地址 Address
    #[arg(long)]
    pub address: Option<String>,
    /// 位置 Position LAT,LON
    #[arg(long, value_name = "LAT,LON", value_parser = parse_position, allow_hyphen_values = true)]
    pub at: Option<Position>,
    /// 位置的坐标系 Datum of --at: wgs84 (GPS), gcj02 (Amap, Tencent), bd09 (Baidu)
    #[arg(long, default_value = "wgs84")]
    pub crs: String,
    /// 提供的服务（逗号分隔，全部列出）Services offered, all of them, comma-separated
    #[arg(long = "service", value_name = "SERVICE", value_delimiter = ',')]
    pub services: Vec<String>,
    /// 营业时间 Opening hours (OpenStreetMap syntax, e.g. "Mo-Su 08:00-22:00")
    #[arg(long)]
    pub hours: Option<String>,
    /// 电话 Phone
    #[arg(long)]
    pub phone: Option<String>,
    /// 货车车位数 Truck spaces
    #[arg(long)]
    pub truck_spaces: Option<u32>,
    /// 给审核人的说明（最多 500 字）A note for the reviewer, at most 500 characters
    #[arg(long)]
    pub note: Option<String>,
    /// 联系方式（仅管理员可见）How the reviewer may reach you (only admins see it)
    #[arg(long)]
    pub contact: Option<String>,
}

impl ProposeArgs {
    /// The proposal as the catalog checks it: only the fields given.
    pub fn proposal(&self) -> waystation_catalog::proposals::Proposal {
        use serde_json::{Map, Value, json};
        let mut fields = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(v) = value {
                fields.insert(key.to_string(), v);
            }
        };
        put("kind", self.kind.clone().map(Value::from));
        put("name", self.name.clone().map(Value::from));
        put("address", self.address.clone().map(Value::from));
        put("lat", self.at.map(|p| json!(p.lat)));
        put("lon", self.at.map(|p| json!(p.lon)));
        put(
            "services",
            (!self.services.is_empty()).then(|| json!(self.services)),
        );
        put("opening_hours", self.hours.clone().map(Value::from));
        put("phone", self.phone.clone().map(Value::from));
        put("truck_spaces", self.truck_spaces.map(|n| json!(n)));
        waystation_catalog::proposals::Proposal {
            station_id: self.station.clone(),
            fields,
            crs: Some(self.crs.clone()),
            note: self.note.clone(),
            contact: self.contact.clone(),
            device: None,
        }
    }
}

#[derive(Args)]
pub struct ConfirmArgs {
    /// 站点 id Station id
    pub id: String,
    /// 事实 Fact: open (it is open now), free_truck_spaces (there were free truck spaces), or a service id (shower, toilet, …)
    pub fact: String,
    /// 否认：不营业 / 没有这项服务 Deny it: it is not open, the service is not there
    #[arg(long)]
    pub no: bool,
}

#[derive(Args)]
pub struct ProposalsArgs {
    /// 删除被拒收的提议（已看过原因后）Forget the proposals the server refused (after reading why)
    #[arg(long)]
    pub discard_refused: bool,
    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

/// Filters shared by the position queries (checked by the catalog's request layer, like the
/// server's and the app's).
#[derive(Args)]
pub struct FilterArgs {
    /// 站点类型（任一）Station kind, any of: driver_home, warm_bee, caring_merchant, worker_station
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',')]
    pub kinds: Vec<String>,

    /// 需要的服务（全部满足）Required service, all of (e.g. shower, toilet, truck_parking; see `--help`)
    #[arg(long = "service", value_name = "SERVICE", value_delimiter = ',', long_help = service_help())]
    pub services: Vec<String>,

    /// 状态（任一）Status, any of: open, temporarily_closed, closed
    #[arg(long = "status", value_name = "STATUS", value_delimiter = ',')]
    pub statuses: Vec<String>,

    /// 仅显示现在营业的站点（营业时间未知的不算）Only stations open now (unknown hours do not count)
    #[arg(long, conflicts_with = "open_at")]
    pub open_now: bool,

    /// 仅显示该时刻营业的站点 Only stations open at this time (RFC 3339, e.g. 2026-11-28T20:00:00+08:00)
    #[arg(long, value_name = "RFC3339")]
    pub open_at: Option<String>,

    /// 仅显示司机近 90 天确认过、无争议的站点（所需服务逐项确认；与 --open-now 同用时也要确认营业）Only stations whose required facts drivers confirmed in the last 90 days and do not dispute (each --service; being open with --open-now; with neither, any fact)
    #[arg(long)]
    pub confirmed: bool,
}

impl FilterArgs {
    /// The filter as the request layer takes it (lists comma-separated).
    fn fields(&self) -> FilterFields {
        let list = |items: &[String]| (!items.is_empty()).then(|| items.join(","));
        FilterFields {
            kind: list(&self.kinds),
            service: list(&self.services),
            status: list(&self.statuses),
            open_now: Some(self.open_now),
            open_at: self.open_at.clone(),
            confirmed: Some(self.confirmed),
        }
    }
}

/// When the driver reaches each station: a speed, a departure time, and whether to keep only
/// stations open then (near and along).
#[derive(Args)]
pub struct ArrivalArgs {
    /// 速度：公里每小时，或 truck（60）、car（80）、ebike（20）；给出后显示到达时间和届时是否营业 Speed: km/h, or truck (60), car (80), ebike (20); shows when each station is reached and whether it is open then
    #[arg(long, value_name = "KMH")]
    pub speed: Option<String>,

    /// 出发时间（默认现在），如 2026-11-29T20:00+08:00；不带时区按北京时间 Departure time (default now), e.g. 2026-11-29T20:00+08:00; without an offset, China time
    #[arg(long, value_name = "TIME")]
    pub depart: Option<String>,

    /// 只显示到达时确定营业的站点（营业时间未知的不算）Only stations known to be open when reached (unknown hours do not count)
    #[arg(long)]
    pub open_on_arrival: bool,
}

impl ArrivalArgs {
    fn fields(&self) -> (Option<NumberText>, Option<String>, Option<bool>) {
        (
            self.speed.as_deref().map(NumberText::from),
            self.depart.clone(),
            self.open_on_arrival.then_some(true),
        )
    }
}

/// The position of `near` and `search`, as typed.
fn lat_lon(at: Option<Position>) -> (Option<f64>, Option<f64>) {
    (at.map(|p| p.lat), at.map(|p| p.lon))
}

/// LAT,LON as two numbers; their ranges are checked by the request layer.
#[derive(Clone, Copy, Debug)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Args)]
pub struct NearArgs {
    /// 位置 Position as LAT,LON in decimal degrees (e.g. 22.54,114.06)
    #[arg(value_parser = parse_position, allow_hyphen_values = true)]
    pub at: Position,

    /// 结果数量 Number of results (1–1000)
    #[arg(short = 'n', long = "count", default_value_t = limits::DEFAULT_RESULTS)]
    pub count: usize,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub arrival: ArrivalArgs,

    /// 最大距离（公里，或带单位：500m、2km）Maximum distance: km, or with a unit (500m, 2km)
    #[arg(long, value_name = "KM", allow_hyphen_values = true)]
    pub within: Option<String>,

    /// 行驶方向（度，0–360，北=0，东=90），只显示前方站点 Heading in degrees, 0–360 (north 0, east 90): only stations ahead
    #[arg(long, value_name = "DEG", allow_hyphen_values = true)]
    pub heading: Option<f64>,

    /// 前方范围：方向两侧各多少度（0–180，默认 45）Half-width of the "ahead" cone in degrees (0–180, default 45)
    #[arg(
        long,
        value_name = "DEG",
        requires = "heading",
        allow_hyphen_values = true
    )]
    pub cone: Option<f64>,

    /// 输入坐标系 Coordinate system of the position: wgs84 (GPS), gcj02 (Amap/Tencent), bd09 (Baidu)
    #[arg(long, default_value = "wgs84")]
    pub crs: String,

    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

impl NearArgs {
    pub fn request(&self) -> NearRequest {
        let (lat, lon) = lat_lon(Some(self.at));
        let (speed, depart, open_on_arrival) = self.arrival.fields();
        NearRequest {
            lat,
            lon,
            crs: Some(self.crs.clone()),
            k: Some(self.count),
            within: self.within.as_deref().map(NumberText::from),
            heading: self.heading,
            cone: self.cone,
            speed,
            depart,
            open_on_arrival,
            ..Default::default()
        }
        .with_filter(self.filter.fields())
    }
}

#[derive(Args)]
pub struct SearchArgs {
    /// 搜索文字（名称或地址，多个词须全部匹配）Text to find in names and addresses (all words must match)
    pub text: String,

    /// 按与该位置的距离排序 Order by distance from LAT,LON
    #[arg(long, value_name = "LAT,LON", value_parser = parse_position, allow_hyphen_values = true)]
    pub near: Option<Position>,

    /// 结果数量 Number of results (1–1000)
    #[arg(short = 'n', long = "count", default_value_t = limits::DEFAULT_RESULTS)]
    pub count: usize,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// 输入坐标系 Coordinate system of --near
    #[arg(long, default_value = "wgs84")]
    pub crs: String,

    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

impl SearchArgs {
    pub fn request(&self) -> SearchRequest {
        let (lat, lon) = lat_lon(self.near);
        SearchRequest {
            q: Some(self.text.clone()),
            lat,
            lon,
            crs: Some(self.crs.clone()),
            k: Some(self.count),
            ..Default::default()
        }
        .with_filter(self.filter.fields())
    }
}

#[derive(Args)]
pub struct AlongArgs {
    /// 路线文件 Route file: .gpx (track or route points) or .geojson (LineString), WGS-84
    pub route: PathBuf,

    /// 离路线的最大距离（公里，或带单位：500m、2km；默认 2 公里）Maximum distance from the route: km, or with a unit (500m, 2km); default 2 km
    #[arg(long, value_name = "KM", allow_hyphen_values = true)]
    pub within: Option<String>,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub arrival: ArrivalArgs,

    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

impl AlongArgs {
    pub fn request(&self) -> AlongRequest {
        let (speed, depart, open_on_arrival) = self.arrival.fields();
        AlongRequest {
            within: self.within.as_deref().map(NumberText::from),
            speed,
            depart,
            open_on_arrival,
            ..Default::default()
        }
        .with_filter(self.filter.fields())
    }
}

#[derive(Args)]
pub struct ShowArgs {
    /// 站点 id Station id
    pub id: String,
    /// 从该位置计算距离和方向 Distance and direction from LAT,LON
    #[arg(long, value_name = "LAT,LON", value_parser = parse_position, allow_hyphen_values = true)]
    pub near: Option<Position>,
    /// 输入坐标系 Coordinate system of --near
    #[arg(long, default_value = "wgs84")]
    pub crs: String,
    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

impl ShowArgs {
    pub fn request(&self) -> DetailRequest {
        let (lat, lon) = lat_lon(self.near);
        DetailRequest {
            lat,
            lon,
            crs: Some(self.crs.clone()),
        }
    }
}

#[derive(Args)]
pub struct ReportArgs {
    /// 站点 id Station id
    pub id: String,
    /// 问题 Problem: closed (已关门), wrong_place (位置不对), service_missing (没有某项服务)
    #[arg(value_parser = vocab::<Problem>)]
    pub problem: Problem,
    /// 缺少的服务（service_missing 时必填）The missing service (required with service_missing)
    #[arg(long, value_parser = vocab::<Service>)]
    pub service: Option<Service>,
    /// 补充说明（最多 500 字）A note, at most 500 characters
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Args)]
pub struct LinkArgs {
    /// 站点 id Station id
    pub id: String,
    /// 地图应用 Map app: amap, baidu, tencent, apple, google, geo
    #[arg(long, value_parser = vocab::<App>)]
    pub app: App,
    /// 输出网页版链接（电脑上用）Print the web link instead of the app link (for desktops)
    #[arg(long)]
    pub web: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// CSV 或 GeoJSON 文件 A CSV (UTF-8, header row) or GeoJSON FeatureCollection file
    pub file: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArg,
    /// 文件格式（默认按扩展名）Format (default: from the file extension)
    #[arg(long, value_parser = parse_format)]
    pub format: Option<waystation_catalog::exchange::Format>,
    /// 文件中坐标的坐标系 Coordinate system of the file's lat/lon
    #[arg(long, default_value = "wgs84", value_parser = vocab::<Crs>)]
    pub crs: Crs,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    /// 格式（默认按输出文件扩展名，否则 csv）Format (default: from -o's extension, else csv)
    #[arg(long, value_parser = parse_format)]
    pub format: Option<waystation_catalog::exchange::Format>,
    /// 输出文件（默认标准输出）Output file (default: standard output)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args)]
pub struct GenArgs {
    /// 站点数量 Number of stations
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    pub count: u32,
    /// 随机种子（相同种子生成相同数据）Seed: the same seed gives the same stations
    #[arg(long, default_value_t = waystation_synthetic::DEFAULT_SEED)]
    pub seed: u64,
    /// 输出文件（默认标准输出）Output file (default: standard output)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A catalog in PostgreSQL, in place of a catalog file.
#[derive(Args)]
pub struct DatabaseArg {
    /// PostgreSQL 中的目录（代替 --catalog）；含密码的地址请放在环境变量里，命令行上别人看得见 The catalog in PostgreSQL (in place of --catalog); put a URL with a password in WAYSTATION_DATABASE_URL, not on the command line, where other users can read it
    #[arg(
        long,
        env = "WAYSTATION_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
}

impl DatabaseArg {
    /// The database URL, if one was given; a catalog file and a database together are refused.
    pub fn url(&self, catalog: Option<&std::path::Path>) -> anyhow::Result<Option<&str>> {
        match (&self.database, catalog) {
            (Some(_), Some(path)) => anyhow::bail!(
                "--catalog {} 与 --database 只能给一个 — give --catalog or --database, not both",
                path.display()
            ),
            (url, _) => Ok(url.as_deref()),
        }
    }
}

#[derive(Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    /// 列出文件各部分占用的空间（站点、全文索引、变更记录、打包的索引、空闲页……）What each part of the catalog file costs on disk (stations, the text index, the change feed, the packed index, free pages…)
    #[arg(long)]
    pub sizes: bool,
    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

#[derive(Args)]
pub struct MigrateArgs {
    /// PostgreSQL 数据库（含密码的地址请放在环境变量 WAYSTATION_DATABASE_URL 里）The PostgreSQL database (put a URL with a password in WAYSTATION_DATABASE_URL, not on the command line)
    #[arg(
        long,
        env = "WAYSTATION_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: String,
    /// 要复制进去的 SQLite 目录文件（数据库须为空）The SQLite catalog to copy in (the database must hold none yet)
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

#[derive(Args)]
pub struct JsonArg {
    #[arg(long, help = JSON_HELP)]
    pub json: bool,
}

const JSON_HELP: &str = "输出 JSON Print JSON instead of a table";

fn service_help() -> String {
    let list: Vec<String> = Service::ALL
        .iter()
        .map(|s| format!("  {:<16} {}", s.id(), s.label(waystation_catalog::Lang::Zh)))
        .collect();
    format!(
        "需要的服务（全部满足），可重复或用逗号分隔 Required services, all of; repeat or comma-separate:\n{}",
        list.join("\n")
    )
}

fn vocab<T: FromStr<Err = UnknownId>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: UnknownId| e.to_string())
}

fn parse_position(s: &str) -> Result<Position, String> {
    let syntax = || {
        format!(
            "`{s}` 不是位置 is not a position: expected LAT,LON in decimal degrees, e.g. 22.54,114.06"
        )
    };
    let (lat, lon) = s.split_once(',').ok_or_else(syntax)?;
    Ok(Position {
        lat: lat.trim().parse().map_err(|_| syntax())?,
        lon: lon.trim().parse().map_err(|_| syntax())?,
    })
}

fn parse_format(s: &str) -> Result<waystation_catalog::exchange::Format, String> {
    s.parse()
}
