//! `WorkAreas`: argon2's working memory, allocated once per hashing slot and reused.
//!
//! Every argon2id computation with our parameters fills 19 MiB (19,456 blocks of 1 KiB).
//! Allocating that afresh for each login means mapping 19 MiB and faulting in every page
//! of it, on every login. Instead each of the `HASH_MAX_CONCURRENT` slots keeps one area,
//! created the first time it is needed and handed from one hash to the next, so memory
//! stays at (slots × 19 MiB) whatever the load, and a login pays for the hash alone.
//!
//! The computation is the crate's own (`Argon2::hash_password_into_with_memory`, which
//! exists for exactly this); only the PHC string around it is assembled here, as the
//! crate assembles it, and the comparison is `phc::Output`'s constant-time one. A stored
//! hash made with more memory than an area holds (parameters since lowered) is verified
//! with memory of its own.
//!
//! An area is not wiped between uses: it holds argon2's internal state, which the next
//! computation overwrites entirely, never the password itself.

use anyhow::Context;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex};

/// The areas not in use; at most one per slot ever exists.
pub struct WorkAreas {
    free: Mutex<Vec<Box<[Block]>>>,
    params: Params,
}

impl WorkAreas {
    /// Areas for hashes with `params` (argon2id v19, our defaults).
    pub fn new(params: Params) -> Arc<Self> {
        Arc::new(Self {
            free: Mutex::new(Vec::new()),
            params,
        })
    }

    /// An area for one computation, given back when dropped. The caller holds a hashing
    /// slot, so there are never more areas than slots.
    pub fn take(self: &Arc<Self>) -> WorkArea {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        let blocks = reused.unwrap_or_else(|| vec![Block::default(); self.params.block_count()].into_boxed_slice());
        WorkArea {
            blocks: Some(blocks),
            home: Arc::clone(self),
        }
    }

    /// How many areas exist but are idle (tests).
    pub fn idle(&self) -> usize {
        self.free.lock().map(|free| free.len()).unwrap_or(0)
    }
}

pub struct WorkArea {
    blocks: Option<Box<[Block]>>,
    home: Arc<WorkAreas>,
}

impl Drop for WorkArea {
    fn drop(&mut self) {
        if let (Some(blocks), Ok(mut free)) = (self.blocks.take(), self.home.free.lock()) {
            free.push(blocks);
        }
    }
}

impl WorkArea {
    fn blocks(&mut self, count: usize) -> Option<&mut [Block]> {
        self.blocks.as_deref_mut().and_then(|blocks| blocks.get_mut(..count))
    }

    /// A new PHC string for `password`, with a fresh random salt and our parameters.
    pub fn hash(&mut self, password: &[u8]) -> anyhow::Result<String> {
        let params = self.home.params.clone();
        let salt = Salt::new(&rand::random::<[u8; 16]>()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let output = self.compute(&argon2, &params, password, &salt, Params::DEFAULT_OUTPUT_LEN)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("parameters: {e}"))?,
            salt: Some(salt),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Does `password` produce the stored hash? Compared in constant time.
    pub fn verify(&mut self, password: &[u8], stored: &PasswordHash) -> anyhow::Result<bool> {
        let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
            anyhow::bail!("stored password hash has no salt or no hash");
        };
        let params = Params::try_from(stored).map_err(|e| anyhow::anyhow!("stored parameters: {e}"))?;
        let algorithm =
            Algorithm::try_from(stored.algorithm.as_str()).map_err(|e| anyhow::anyhow!("stored algorithm: {e}"))?;
        let version = match stored.version {
            Some(v) => Version::try_from(v).map_err(|e| anyhow::anyhow!("stored version: {e}"))?,
            None => Version::default(),
        };
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let computed = self.compute(&argon2, &params, password, salt, expected.len())?;
        Ok(computed == *expected)
    }

    fn compute(
        &mut self,
        argon2: &Argon2<'_>,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        output_len: usize,
    ) -> anyhow::Result<Output> {
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let out = buffer.get_mut(..output_len).context("hash output too long")?;
        let count = params.block_count();
        match self.blocks(count) {
            Some(blocks) => argon2.hash_password_into_with_memory(password, salt, out, blocks),
            // Made with more memory than our parameters use: an allocation of its own.
            None => argon2.hash_password_into(password, salt, out),
        }
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Output::new(out).map_err(|e| anyhow::anyhow!("hash output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    #[test]
    fn the_pooled_computation_is_the_crates_own() {
        let areas = WorkAreas::new(Params::default());
        let mut area = areas.take();
        let ours = area.hash(b"correct horse").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        // The crate verifies ours, and we verify the crate's.
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        let theirs = Argon2::default().hash_password(b"correct horse").unwrap();
        assert!(area.verify(b"correct horse", &theirs).unwrap());
        assert!(!area.verify(b"correct horsf", &theirs).unwrap());
        assert!(
            !area
                .verify(
                    b"correct horse",
                    &PasswordHash::new(&ours.replace("$m=19456", "$m=8192")).unwrap()
                )
                .unwrap()
        );
    }

    #[test]
    fn a_hash_made_with_more_memory_still_verifies() {
        let bigger = Params::new(32 * 1024, 1, 1, None).unwrap();
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, bigger)
            .hash_password(b"old params")
            .unwrap();
        let areas = WorkAreas::new(Params::default());
        assert!(areas.take().verify(b"old params", &stored).unwrap());
    }

    #[test]
    fn areas_are_reused_not_multiplied() {
        let areas = WorkAreas::new(Params::new(64, 1, 1, None).unwrap());
        assert_eq!(areas.idle(), 0);
        let (a, b) = (areas.take(), areas.take());
        drop((a, b));
        assert_eq!(areas.idle(), 2);
        for _ in 0..10 {
            let mut area = areas.take();
            area.hash(b"again").unwrap();
        }
        assert_eq!(areas.idle(), 2, "ten hashes in turn reused the two areas");
    }
}
