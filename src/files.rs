//! Files and folders only this server's user may read: the data folder is 0700, and what the
//! server writes into it (database, keys, e-mails, documents) is 0600. Other systems get the
//! platform's defaults.

use std::{fs::File, io, path::Path};

/// Creates (or truncates) a file readable and writable by its owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    restrict(path, false)?;
    Ok(file)
}

/// Creates a folder (and its parents) that only its owner may enter; an existing folder is
/// narrowed to that.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(path)?;
    restrict(path, true)
}

/// Narrows an existing file (0600) or folder (0700) to its owner.
pub fn restrict(path: &Path, folder: bool) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if folder { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, folder);
    Ok(())
}
