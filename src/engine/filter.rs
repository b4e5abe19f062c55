//! Filter expressions on single-record requests (WP-13, RP-06, DP-08; docs/expressions.md
//! EXP-WHERE-1): the policy's expression is evaluated on the record as stored before the
//! request, and a false or unknown result refuses the request with FilteredOut (27).
//!
//! Invariant: a request without a filter expression never reaches this module (the paths
//! test `filter_expression.is_some()` first), so the common path pays nothing.

use crate::engine::namespace::Namespace;
use crate::error::{err, Result, ResultCode};
use crate::expressions::{Expression, RecordMeta, RecordView};
use crate::format::record_image::{encoded_size, Image};
use crate::ops::Operation;
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::record::key::UserKeyBytes;
use crate::record::value::Value;
use crate::StorageConfig;

/// The parts of a record view that are not borrowed from the image.
pub struct ViewParts {
    key: Option<Value>,
    record_size: u64,
    now_ms: u64,
    memory_only: bool,
}

impl Namespace {
    /// What an expression needs besides the image itself.
    pub fn view_parts(&self, img: &Image) -> ViewParts {
        ViewParts {
            key: img.meta.key.as_ref().and_then(UserKeyBytes::to_value),
            record_size: encoded_size(&img.meta, &img.bins) as u64,
            now_ms: self.clock.now_ms(),
            memory_only: matches!(self.config.storage, StorageConfig::Memory { .. }),
        }
    }

    /// The record as an expression sees it, with `bins` (the stored bins or a working copy).
    pub fn record_view<'a>(
        img: &'a Image,
        parts: &'a ViewParts,
        bins: &'a BinList,
    ) -> RecordView<'a> {
        RecordView {
            bins,
            digest: &img.meta.digest.0,
            set_name: &img.meta.set_name,
            key: parts.key.as_ref(),
            generation: u32::from(img.meta.generation),
            void_time: img.meta.void_time,
            last_update_ms: img.meta.lut,
            now_ms: parts.now_ms,
            tombstone: img.meta.tombstone,
            record_size: parts.record_size,
            memory_only: parts.memory_only,
        }
    }

    /// `Ok` when `filter` is absent or true on `img`; 27 when false or unknown (`rule` names
    /// the check-order row); 4 / 16 when the expression is malformed.
    pub fn check_filter(&self, filter: Option<&Expression>, img: &Image, rule: &str) -> Result<()> {
        let Some(f) = filter else {
            return Ok(());
        };
        // WP-13, RP-06, DP-08 run after the tombstone checks: a filter sees records only.
        debug_assert!(!img.meta.tombstone, "a filter never runs on a tombstone");
        let parts = self.view_parts(img);
        if f.matches(&Namespace::record_view(img, &parts, &img.bins))? {
            return Ok(());
        }
        err(
            ResultCode::FilteredOut,
            format!("filter expression is false or unknown on the record ({rule}, EXP-UNKNOWN-1)"),
        )
    }

    /// The metadata expression ops see (EXP-OP-META): the live record as stored before the
    /// request, or a record being created (generation 0, no TTL, no key). `None` when `ops`
    /// holds no expression op, so ordinary operates pay nothing.
    pub fn exp_meta(
        &self,
        ops: &[Operation],
        digest: &Digest,
        set_name: &str,
        live: Option<&Image>,
    ) -> Option<RecordMeta> {
        if !has_exp_ops(ops) {
            return None;
        }
        let memory_only = matches!(self.config.storage, StorageConfig::Memory { .. });
        let Some(img) = live else {
            return Some(RecordMeta {
                digest: digest.0,
                set_name: set_name.to_string(),
                now_ms: self.clock.now_ms(),
                memory_only,
                ..RecordMeta::default()
            });
        };
        debug_assert!(!img.meta.tombstone, "expression ops see a live record");
        let parts = self.view_parts(img);
        Some(RecordMeta {
            digest: img.meta.digest.0,
            set_name: img.meta.set_name.clone(),
            key: parts.key,
            generation: u32::from(img.meta.generation),
            void_time: img.meta.void_time,
            last_update_ms: img.meta.lut,
            now_ms: parts.now_ms,
            tombstone: img.meta.tombstone,
            record_size: parts.record_size,
            memory_only,
        })
    }
}

/// Whether `ops` holds an expression op.
pub fn has_exp_ops(ops: &[Operation]) -> bool {
    ops.iter()
        .any(|o| matches!(o, Operation::ExpRead(..) | Operation::ExpWrite(..)))
}
