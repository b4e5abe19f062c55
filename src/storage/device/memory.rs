//! In-memory device: a byte vector. Writes are durable immediately (a crash is modelled by the
//! `faulty` wrapper, which keeps non-durable writes above a memory device).
//!
//! Invariant: the vector's length is the capacity and never changes.

use crate::error::{err, Result, ResultCode};
use crate::storage::device::Device;
use std::sync::Mutex;

/// A memory device.
pub struct MemoryDevice {
    bytes: Mutex<Vec<u8>>,
}

impl MemoryDevice {
    /// `capacity` zero bytes.
    pub fn new(capacity: u64) -> MemoryDevice {
        MemoryDevice::from_bytes(vec![0; capacity as usize])
    }

    /// A device holding `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> MemoryDevice {
        MemoryDevice {
            bytes: Mutex::new(bytes),
        }
    }

    /// A copy of the contents.
    pub fn contents(&self) -> Vec<u8> {
        self.bytes.lock().expect("memory device poisoned").clone()
    }

    /// Change bytes in place (tests: corruption).
    pub fn poke(&self, offset: usize, f: impl FnOnce(&mut [u8])) {
        let mut b = self.bytes.lock().expect("memory device poisoned");
        f(&mut b[offset..]);
    }

    fn range(&self, offset: u64, len: usize) -> Result<std::ops::Range<usize>> {
        let cap = self.capacity();
        if offset.checked_add(len as u64).is_none_or(|end| end > cap) {
            return err(
                ResultCode::ServerError,
                format!("I/O of {len} bytes at {offset} beyond device end {cap}"),
            );
        }
        Ok(offset as usize..offset as usize + len)
    }
}

impl Device for MemoryDevice {
    fn capacity(&self) -> u64 {
        self.bytes.lock().expect("memory device poisoned").len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.range(offset, buf.len())?;
        buf.copy_from_slice(&self.bytes.lock().expect("memory device poisoned")[r]);
        Ok(())
    }

    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        let r = self.range(offset, buf.len())?;
        self.bytes.lock().expect("memory device poisoned")[r].copy_from_slice(buf);
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_writes_and_refuses_out_of_range() {
        let d = MemoryDevice::new(8192);
        d.write_at(4096, &[7; 4096]).expect("in range");
        let mut b = [0u8; 4096];
        d.read_at(4096, &mut b).expect("in range");
        assert_eq!(b, [7; 4096]);
        assert!(d.write_at(8192, &[1]).is_err());
        assert!(d.read_at(u64::MAX, &mut b).is_err());
    }
}
