//! Every message a person reads about a refused request, in 中文 and English, from one table.
//! The id is stable: the API returns it as `message_id`, the CLI prints it, tests compare it.

use std::fmt;

use crate::lang::Lang;

/// Defines the table: variant, its fields, stable id, Chinese text, English text. The texts
/// are format strings over the fields.
macro_rules! messages {
    ($($(#[$meta:meta])* $variant:ident { $($field:ident : $ty:ty),* } => $id:literal, $zh:literal, $en:literal;)+) => {
        /// Why a request was refused, with what a person needs to fix it.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Message {
            $($(#[$meta])* $variant { $($field: $ty),* }),+
        }

        impl Message {
            /// The stable id of this message.
            pub fn id(&self) -> &'static str {
                match self { $(Message::$variant { .. } => $id),+ }
            }

            pub fn text(&self, lang: Lang) -> String {
                match self {
                    $(Message::$variant { $($field),* } => match lang {
                        Lang::Zh => format!($zh),
                        Lang::En => format!($en),
                    }),+
                }
            }

            /// Every id in the table, for documentation and tests.
            pub const IDS: &'static [&'static str] = &[$($id),+];
        }
    };
}

messages! {
    Required { field: &'static str }
        => "required", "缺少 `{field}`", "`{field}` is required";
    NotFinite { field: &'static str, given: String }
        => "not_finite", "`{field}` 须为有限数值，收到 `{given}`", "`{field}` must be a finite number, not `{given}`";
    OutOfRange { field: &'static str, given: String, min: String, max: String }
        => "out_of_range", "`{field}` 须在 {min} 到 {max} 之间，收到 {given}", "`{field}` must be from {min} to {max}, not {given}";
    UnknownId { field: &'static str, given: String, accepted: String }
        => "unknown_id", "`{field}`：未知的取值 `{given}`（可用：{accepted}）", "`{field}`: unknown value `{given}` (accepted: {accepted})";
    BadDistance { field: &'static str, given: String }
        => "bad_distance", "`{field}`：`{given}` 不是距离；写作 500m、2km 或 2.5（公里）", "`{field}`: `{given}` is not a distance; write 500m, 2km or 2.5 (km)";
    BadTime { field: &'static str, given: String }
        => "bad_time", "`{field}`：`{given}` 不是 RFC 3339 时间，例如 2026-11-28T20:00:00+08:00", "`{field}`: `{given}` is not an RFC 3339 time, e.g. 2026-11-28T20:00:00+08:00";
    BadSpeed { field: &'static str, given: String }
        => "bad_speed", "`{field}`：`{given}` 不是速度；写作公里每小时（如 60）或 truck、car、ebike", "`{field}`: `{given}` is not a speed; give km/h (e.g. 60) or truck, car, ebike";
    BadPosition { field: &'static str, given: String }
        => "bad_position", "`{field}`：`{given}` 不是有效位置（纬度 -90 到 90，经度 -180 到 180）", "`{field}`: `{given}` is not a position (latitude -90 to 90, longitude -180 to 180)";
    EmptyText { field: &'static str }
        => "empty_text", "`{field}` 为空：请输入名称或地址的一部分，例如 南山 或 司机之家", "`{field}` is empty: give part of a name or address, e.g. 南山 or 司机之家";
    BadBox {}
        => "bad_box", "范围须满足 south ≤ north", "the box must have south ≤ north";
    BadView {}
        => "bad_view", "地图视图须满足 south ≤ north、west ≤ east", "the map view must have south ≤ north and west ≤ east";
    ViewTooLarge { cells: u64, max: u64 }
        => "view_too_large", "地图视图在此缩放级别跨 {cells} 个网格，最多 {max} 个：请放大或缩小视图", "the map view spans {cells} grid cells at this zoom; at most {max}: zoom in or make the view smaller";
    BadRoute { problem: String }
        => "bad_route", "路线无法读取：{problem}", "the route cannot be read: {problem}";
    TooLong { field: &'static str, max: usize }
        => "too_long", "`{field}` 最多 {max} 个字符", "`{field}` is longer than {max} characters";
    TooManyWords { field: &'static str, max: usize }
        => "too_many_words", "`{field}` 最多 {max} 个词", "`{field}` has more than {max} words";
    TooManyPoints { given: usize, max: usize }
        => "too_many_points", "路线有 {given} 个点，最多 {max} 个", "the route has {given} points; at most {max}";
    RouteTooLong { km: String, max: String }
        => "route_too_long", "路线长 {km} 公里，最长 {max} 公里", "the route is {km} km long; at most {max} km";
    TooMuchWork { ms: u64 }
        => "too_much_work", "请求计算超过 {ms} 毫秒，已停止：请缩短路线或距离", "the request needed more than {ms} ms of work and was stopped: shorten the route or the distance";
    BadField { field: String, problem: String }
        => "bad_field", "字段 `{field}`：{problem}", "field `{field}`: {problem}";
    UnknownField { field: String, accepted: String }
        => "unknown_field", "未知字段 `{field}`（可用：{accepted}）", "unknown field `{field}` (the fields are: {accepted})";
    AlreadyDecided { id: i64, state: String }
        => "already_decided", "提议 {id} 已处理（{state}）", "proposal {id} has been decided already ({state})";
    ControlCharacters { field: &'static str }
        => "control_characters", "`{field}` 含有控制字符", "`{field}` contains control characters";
    ReasonNeeded {}
        => "reason_needed", "请写明驳回原因", "give the reason for rejecting it";
    NoProposal { id: String }
        => "no_proposal", "没有编号为 `{id}` 的提议", "no proposal `{id}`";
    NothingProposed {}
        => "nothing_proposed", "提议的修改为空：请至少给出一个要改的字段", "the proposed change is empty: give at least one field to change";
    NotProposable { field: &'static str }
        => "not_proposable", "`{field}` 由目录分配，不能提议", "`{field}` is assigned by the catalog and cannot be proposed";
    NotEditable { field: String }
        => "not_editable", "你不能修改字段 `{field}`", "you may not change field `{field}`";
    ServiceNeeded {}
        => "service_needed", "报告“没有某项服务”时须在 `service` 中写明是哪项服务", "a service_missing report must name the service in `service`";
    BadInput { problem: String }
        => "bad_input", "请求无法读取：{problem}", "the request cannot be read: {problem}";
    NotFound { id: String }
        => "not_found", "没有 id 为 `{id}` 的站点", "no station with id `{id}`";
}

impl Message {
    /// A request that does not even parse (a serde error): an unknown field is named as
    /// such, anything else is shown as the parser said it.
    pub fn unreadable(problem: &str) -> Message {
        // serde: "unknown field `x`, expected one of `a`, `b`"
        let unknown = problem.split("unknown field `").nth(1);
        if let Some((field, after)) = unknown.and_then(|rest| rest.split_once('`')) {
            let accepted = after
                .split_once("expected one of ")
                .or_else(|| after.split_once("expected "))
                .map(|(_, a)| a.replace('`', ""))
                .unwrap_or_default();
            return Message::UnknownField {
                field: field.to_string(),
                accepted,
            };
        }
        Message::BadInput {
            problem: problem.to_string(),
        }
    }

    /// Chinese first, then English: for answers whose reader's language is not known.
    pub fn both(&self) -> String {
        format!("{} — {}", self.text(Lang::Zh), self.text(Lang::En))
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.both())
    }
}

impl std::error::Error for Message {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_texts_name_the_field() {
        let mut ids = Message::IDS.to_vec();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Message::IDS.len());
        let m = Message::OutOfRange {
            field: "k",
            given: "0".into(),
            min: "1".into(),
            max: "1000".into(),
        };
        assert_eq!(m.id(), "out_of_range");
        assert_eq!(m.text(Lang::En), "`k` must be from 1 to 1000, not 0");
        assert_eq!(m.text(Lang::Zh), "`k` 须在 1 到 1000 之间，收到 0");
        assert!(m.both().starts_with("`k` 须在"));
    }

    #[test]
    fn parser_errors_name_an_unknown_field() {
        let m = Message::unreadable("unknown field `within_km`, expected one of `lat`, `lon`");
        assert_eq!(m.id(), "unknown_field");
        assert_eq!(
            m.text(Lang::En),
            "unknown field `within_km` (the fields are: lat, lon)"
        );
        assert_eq!(
            Message::unreadable("lat: invalid float literal").id(),
            "bad_input"
        );
    }
}
