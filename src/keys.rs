//! The master key and the keys derived from it.
//!
//! `SOCORG_MASTER_KEY` holds the secret every node of one installation shares. Without it, a key
//! is generated once into `<data dir>/master.key` (mode 0600) with a warning: enough for a single
//! node, but a second node, or a restore onto a fresh folder, needs the same key. Each use takes a
//! key of its own, derived by HMAC-SHA256 under a purpose label, so that one key never serves two
//! purposes.

use std::{io::Write, path::Path};

use anyhow::{Context, bail};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Fewest bytes a configured master key may have.
const MIN_KEY_BYTES: usize = 32;

/// The installation's secret; never printed.
#[derive(Clone)]
pub struct MasterKey(Vec<u8>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    /// The configured key (`SOCORG_MASTER_KEY`), or the one in the data folder (created when
    /// missing).
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        Self::find(configured, data_dir, true)
    }

    /// The configured key, or the one in the data folder; never a new one (a check made with a
    /// key of its own would only report that nothing matches).
    pub fn existing(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        Self::find(configured, data_dir, false)
    }

    fn find(configured: Option<&str>, data_dir: &Path, may_generate: bool) -> anyhow::Result<Self> {
        if let Some(text) = configured {
            return Self::from_text(text).context("SOCORG_MASTER_KEY");
        }
        let path = data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Self::from_text(&text).with_context(|| format!("the key in {}", path.display()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && may_generate => {
                generate(&path)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
                "no master key: set SOCORG_MASTER_KEY, or use the data folder whose master.key \
                 the server made ({} is missing)",
                path.display()
            ),
            Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn from_text(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        if text.len() < MIN_KEY_BYTES {
            bail!("a master key needs at least {MIN_KEY_BYTES} characters");
        }
        Ok(Self(text.as_bytes().to_vec()))
    }

    /// A 32-byte key for one purpose (`"audit chain v1"`, …).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(b"socorg key derivation\n");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Stable pseudonyms for personal data in logs and counters (an e-mail address becomes a keyed
/// hash): the same address gives the same pseudonym, and nobody without the key can test a guess.
#[derive(Clone)]
pub struct Pseudonyms([u8; 32]);

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Pseudonyms(***)")
    }
}

impl Pseudonyms {
    pub fn from_master(master: &MasterKey) -> Self {
        Self(master.derive("pseudonyms v1"))
    }

    /// 128 bits of HMAC-SHA256 over the text, in hex.
    pub fn of(&self, text: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(text.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

fn generate(path: &Path) -> anyhow::Result<MasterKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("random source: {error}"))?;
    let text = hex::encode(bytes);
    // Written whole beside the key, then linked into place: a link fails when the key exists, so
    // of two processes starting together on one folder the second reads the first one's key.
    let partial = path.with_extension(format!("{}.partial", &text[..8]));
    let mut file = crate::files::create_private(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&partial, path);
    let _ = std::fs::remove_file(&partial);
    match linked {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)?;
            return MasterKey::from_text(&text);
        }
        Err(error) => {
            return Err(error).with_context(|| format!("cannot create {}", path.display()));
        }
    }
    tracing::warn!(
        path = %path.display(),
        "no SOCORG_MASTER_KEY set; generated a master key in the data folder (keep it with the \
         backups, and give every node the same key)"
    );
    Ok(MasterKey(text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::MasterKey;

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().expect("folder");
        let folder = dir.path();
        let first = MasterKey::load(None, folder).expect("generated");
        let second = MasterKey::load(None, folder).expect("read back");
        assert_eq!(first.derive("a"), second.derive("a"));
        assert_ne!(first.derive("a"), first.derive("b"), "one key per purpose");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&hex::encode(&first.0[..8])));
    }

    #[test]
    fn a_check_never_makes_a_key_of_its_own() {
        let dir = tempfile::tempdir().expect("folder");
        let folder = dir.path();
        let error = MasterKey::existing(None, folder).expect_err("no key yet");
        assert!(format!("{error:#}").contains("no master key"), "{error:#}");
        assert!(!dir.path().join("master.key").exists());
        let made = MasterKey::load(None, folder).expect("generated");
        let found = MasterKey::existing(None, folder).expect("found");
        assert_eq!(made.derive("a"), found.derive("a"));
        // Processes starting together on one new folder end up with one key.
        let racing = tempfile::tempdir().expect("folder");
        let folder = racing.path();
        let keys: Vec<[u8; 32]> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| MasterKey::load(None, folder).expect("a key").derive("a")))
                .collect();
            racers
                .into_iter()
                .map(|racer| racer.join().expect("no panic"))
                .collect()
        });
        assert!(keys.windows(2).all(|pair| pair[0] == pair[1]));
    }

    #[test]
    fn a_short_configured_key_is_refused() {
        let folder = tempfile::tempdir().expect("folder");
        let error = MasterKey::load(Some("short"), folder.path()).expect_err("refused");
        assert!(format!("{error:#}").contains("at least 32"), "{error:#}");
    }
}
