//! `regex_compare` (EXP-REGEX-1): the pattern is read as a POSIX extended regular expression
//! with the official client's flag bits, matched anywhere in the string (as `regexec`).
//! aerolite uses the `regex` crate: POSIX bracket classes such as `[[:digit:]]` and the
//! usual ERE syntax behave the same; back-references (not ERE either) are refused with 4.
//! Without NEWLINE, `.` matches a newline (POSIX); with it, `.` does not and `^`/`$` match at
//! line ends. ICASE folds case.

use crate::error::{err, Result, ResultCode};
use crate::expressions::builders::regex_flag::RegexFlag;

/// Compile `pattern` under `flags` (unknown bits are ignored, as `regcomp` does).
pub fn compile(pattern: &str, flags: i64) -> Result<regex::Regex> {
    let has = |f: RegexFlag| flags & (f as i64) != 0;
    let mut b = regex::RegexBuilder::new(pattern);
    b.case_insensitive(has(RegexFlag::ICASE));
    let newline = has(RegexFlag::NEWLINE);
    b.dot_matches_new_line(!newline).multi_line(newline);
    b.size_limit(1 << 20);
    match b.build() {
        Ok(r) => Ok(r),
        Err(e) => err(
            ResultCode::ParameterError,
            format!("regex_compare pattern {pattern:?} does not compile: {e} (EXP-REGEX-1)"),
        ),
    }
}
