//! The CLI's own messages (its errors, notices and prompts) in 中文 and English, from one table.
//! A refused request has its own table, `waystation_catalog::Message`, and the result tables
//! their words in `render`; both follow the same rule as this one: Chinese with English by
//! default, English only with `--lang en`.

use std::net::SocketAddr;
use std::path::Display as PathText;

use waystation_catalog::Lang;

/// Defines the table: variant, its fields, Chinese text, English text. The texts are format
/// strings over the fields.
macro_rules! messages {
    ($($(#[$meta:meta])* $variant:ident { $($field:ident : $ty:ty),* } => $zh:literal, $en:literal;)+) => {
        /// A message the CLI writes itself, with what it needs to name.
        pub enum Msg<'a> {
            $($(#[$meta])* $variant { $($field: $ty),* }),+
        }

        impl Msg<'_> {
            fn in_one(&self, lang: Lang) -> String {
                match self {
                    $(Msg::$variant { $($field),* } => match lang {
                        Lang::Zh => format!($zh),
                        Lang::En => format!($en),
                    }),+
                }
            }
        }
    };
}

messages! {
    NoCatalog { path: PathText<'a> }
        => "没有目录 {path}；用 `waystation import FILE --catalog {path}` 创建一个，或不写 --catalog 使用内置目录",
           "no catalog at {path}; create one with `waystation import FILE --catalog {path}`, or omit --catalog to use the built-in one";
    NoHome {}
        => "找不到存放目录的主目录；请用 --catalog PATH 指定",
           "cannot find a home directory for the catalog; pass --catalog PATH";
    /// Shown once, when the default catalog is created from the built-in seed.
    FirstUse { path: PathText<'a> }
        => "首次使用：正在 {path} 创建内置示例目录（示例数据）",
           "First use: creating the built-in catalog of synthetic example stations (示例数据) at {path}";
    CannotRead { path: PathText<'a> }
        => "无法读取 {path}",
           "cannot read {path}";
    CannotWrite { path: PathText<'a> }
        => "无法写入 {path}",
           "cannot write {path}";
    CannotWriteKey { path: PathText<'a> }
        => "无法写入新密钥 {path}（已存在的文件不会被覆盖）",
           "cannot write a new key to {path} (an existing file is never overwritten)";
    /// Followed by the bad record (its line or feature, field and problem).
    ImportAborted { file: PathText<'a> }
        => "{file}：导入已中止，目录未改变",
           "{file}: import aborted, the catalog is unchanged";
    CannotListen { addr: SocketAddr }
        => "无法监听 {addr}",
           "cannot listen on {addr}";
    Serving { shown: &'a str, stations: usize }
        => "目录 {shown}（{stations} 个站点）",
           "catalog {shown} ({stations} stations)";
    WebUi { dir: PathText<'a> }
        => "网页界面来自 {dir}",
           "web UI from {dir}";
    PasswordFor { name: &'a str }
        => "{name} 的密码",
           "password for {name}";
    NoPassword {}
        => "未输入密码",
           "no password given";
    NothingToChange {}
        => "没有要修改的内容：请给出 --status、--service、--hours、--notice、--phone 或 --free-trucks",
           "nothing to change: give --status, --service, --hours, --notice, --phone or --free-trucks";
}

impl Msg<'_> {
    /// The message as shown in `lang`: Chinese with English after it, or English only.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => format!("{} — {}", self.in_one(Lang::Zh), self.in_one(Lang::En)),
            Lang::En => self.in_one(Lang::En),
        }
    }
}

/// What an error line starts with.
pub fn error_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "错误 error",
        Lang::En => "error",
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn chinese_first_with_english_or_english_only() {
        let path = Path::new("x.sqlite");
        let m = Msg::CannotRead {
            path: path.display(),
        };
        assert_eq!(m.text(Lang::Zh), "无法读取 x.sqlite — cannot read x.sqlite");
        assert_eq!(m.text(Lang::En), "cannot read x.sqlite");
    }
}
