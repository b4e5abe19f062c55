//! The info protocol (proto type 1): a request is command lines separated by `\n`; the reply
//! echoes each line verbatim, a tab, its value, and `\n` (C client `as_info.c:as_info_command`
//! and `as_info_parse_multi_response`; Rust `aerospike-core/src/commands/info_command.rs`).
//! A command is `name`, `name:k=v;k=v` or `name/arg/…`.
//!
//! Invariants: parsing never fails (bytes that are not UTF-8 are replaced); every request line
//! gets exactly one reply line, in request order.

/// One request line, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoCommand {
    /// The exact request line (echoed in the reply).
    pub line: String,
    /// The command name: up to the first `:` or `/`.
    pub name: String,
    /// `k=v` parameters after `:` (a parameter without `=` has an empty value).
    pub params: Vec<(String, String)>,
    /// `/`-separated arguments after the name.
    pub args: Vec<String>,
}

impl InfoCommand {
    /// Split one line.
    pub fn parse(line: &str) -> InfoCommand {
        let end = line.find([':', '/']).unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        let mut params = Vec::new();
        let mut args = Vec::new();
        if let Some(p) = rest.strip_prefix(':') {
            for kv in p.split(';').filter(|s| !s.is_empty()) {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                params.push((k.to_string(), v.to_string()));
            }
        } else if let Some(a) = rest.strip_prefix('/') {
            args = a.split('/').map(str::to_string).collect();
        }
        InfoCommand {
            line: line.to_string(),
            name: name.to_string(),
            params,
            args,
        }
    }

    /// The value of parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The command lines of a request body (empty lines dropped).
pub fn parse_request(body: &[u8]) -> Vec<InfoCommand> {
    String::from_utf8_lossy(body)
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(InfoCommand::parse)
        .collect()
}

/// Append one reply line: `line \t value \n`.
pub fn push_reply(out: &mut Vec<u8>, line: &str, value: &str) {
    out.extend_from_slice(line.as_bytes());
    out.push(b'\t');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// An info error value, `ERROR:<code>:<message>` (the clients look for `ERROR:` after a tab,
/// C client `as_info.c:as_info_validate`).
pub fn error_value(code: u8, message: &str) -> String {
    format!("ERROR:{code}:{message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C client's first request is `node\npartition-generation\nbuild\n`
    /// (`as_lookup.c:as_lookup_node`); the truncate command is
    /// `truncate:namespace=test;set=demo;lut=…` (`aerospike.c:aerospike_truncate`).
    #[test]
    fn request_lines_and_parameters() {
        let cmds = parse_request(b"node\npartition-generation\nbuild\n");
        let names: Vec<&str> = cmds.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["node", "partition-generation", "build"]);
        let t = InfoCommand::parse("truncate:namespace=test;set=demo;lut=12");
        assert_eq!(t.name, "truncate");
        assert_eq!(t.param("set"), Some("demo"));
        assert_eq!(t.param("lut"), Some("12"));
        let n = InfoCommand::parse("namespace/test");
        assert_eq!(
            (n.name.as_str(), n.args.as_slice()),
            ("namespace", &["test".to_string()][..])
        );
        assert!(parse_request(b"\xff\n\n").len() == 1);
    }

    /// Reply lines echo the request line (server `thr_info.c:handle_cmds`: line, tab, value, EOL).
    #[test]
    fn reply_line_bytes() {
        let mut out = Vec::new();
        push_reply(&mut out, "peers-clear-std", "0,3000,[]");
        push_reply(&mut out, "bogus", &error_value(4, "unrecognized command"));
        assert_eq!(
            out,
            b"peers-clear-std\t0,3000,[]\nbogus\tERROR:4:unrecognized command\n".to_vec()
        );
    }
}
