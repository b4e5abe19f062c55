//! Reads that look at the record in place (`Database::get_with`): the caller's function sees a
//! [`RecordRef`] borrowing the verified stored image, so no bin is copied or allocated.
//!
//! The lock-free path of `read.rs` serves it, with the same invariants (L1) … (L3): the entry
//! is looked up after the request began, the image passes every check of a locked read, and the
//! index still holds that entry after the image was checked. The function is called only then —
//! once the image is known to be the answer — on bytes that cannot change under it (a shared
//! post-write-cache buffer, or the read's own copy). Every other case (a filter, a read-touch
//! due, a busy lock stripe, a tombstone, a failed check) runs the ordinary read and shows the
//! function a view of the owned record it returns, so the answer is always the one
//! [`Namespace::read`] gives.

use crate::engine::namespace::Namespace;
use crate::engine::read::{Bins, ReadKind};
use crate::error::Result;
use crate::format::record_ref::RecordRef;
use crate::index::{IndexEntry, Stamp};
use crate::policy::read::ReadPolicy;
use crate::record::key::{Key, UserKeyRef};

impl Namespace {
    /// A get of every bin whose answer `f` looks at in place; see the module documentation.
    pub fn read_with<R>(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        f: impl FnOnce(&RecordRef<'_>) -> R,
    ) -> Result<R> {
        self.prefetch_request(&key.digest);
        let user_key = Namespace::key_ref(key)?; // RP-01
        let mut f = Some(f);
        if policy.filter_expression.is_none() {
            if let Some(answer) = self.read_unlocked_with(policy, key, user_key, &mut f) {
                return answer;
            }
        }
        let record = self.read(policy, key, ReadKind::Bins(&Bins::All))?;
        let f = f.ok_or_else(|| {
            crate::error::Error::new(
                crate::error::ResultCode::ServerError,
                "read_with: the function was already called",
            )
        })?;
        Ok(f(&RecordRef::of_record(&record)))
    }

    /// The lock-free read of `read_unlocked` with `f` in place of building a `Record`: `None`
    /// (and `f` not taken) when this path does not answer.
    fn read_unlocked_with<R, F: FnOnce(&RecordRef<'_>) -> R>(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        user_key: Option<UserKeyRef<'_>>,
        f: &mut Option<F>,
    ) -> Option<Result<R>> {
        let (e, stamp) = match self.unlocked_entry(policy, key)? {
            Ok(found) => found,
            Err(refused) => return Some(Err(refused)),
        };
        let mut out = None;
        let mut visit = |bytes: &[u8]| {
            if let Some(view) = self.checked_view(key, &e, stamp, user_key, bytes) {
                if let Some(f) = f.take() {
                    out = Some(f(&view));
                }
            }
        };
        // Once the function ran on a checked image, that is the answer, whatever the storage
        // read reports after its visit; a failed read that never reached it falls back.
        let _read = self.storage.read_with(e.location, e.size, &mut visit);
        out.map(Ok)
    }

    /// The view of `bytes` when they are the image `e` names, of the request's key, with valid
    /// bins, and the index still holds `e` (L2; `stamp` is the change count read with `e`); `None`
    /// otherwise (the locked path answers).
    fn checked_view<'a>(
        &self,
        key: &Key,
        e: &IndexEntry,
        stamp: Stamp,
        user_key: Option<UserKeyRef<'_>>,
        bytes: &'a [u8],
    ) -> Option<RecordRef<'a>> {
        let v = Namespace::verified_view(bytes, &key.digest, e).ok()?;
        // RP-07: a mismatch is answered by the locked path (the same code, 27).
        if let (Some(stored), Some(req)) = (&v.key, user_key) {
            if !stored.is_key(&req) {
                return None;
            }
        }
        let view = RecordRef::of_image(&v).ok()?;
        if !self.still_indexed(key, e, stamp) {
            return None;
        }
        debug_assert!(
            view.generation == u32::from(e.generation) && view.last_update_time == e.lut(),
            "a lock-free read answers the version of the entry it looked up"
        );
        Some(view)
    }
}
