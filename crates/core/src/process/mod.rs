//! Starting processes that never outlive ccrs (leaf layer: uses nothing above it).
//!
//! Every process ccrs starts for a tool, a hook or an MCP server goes through [`Spawn`]:
//!
//! ```ignore
//! let mut child = process::Spawn::new("/bin/bash")
//!     .args(["-c", script])
//!     .current_dir(cwd)
//!     .stdin(Stdio::null())
//!     .stdout(Stdio::piped())
//!     .group(true)              // its own process group (default)
//!     .die_with_parent(true)    // under the exec helper (default)
//!     .confine(Some(confinement))  // Landlock + socket filter (see `confine`)
//!     .spawn()
//!     .await?;
//! let exit = child.wait().await?;   // the program's exit; what it left may still run
//! child.kill();                     // or drop the last clone of `child.group()`
//! ```
//!
//! With an exec helper configured ([`set_helper`], done by the `ccrs` binary with its own
//! path), the program runs under a small supervisor ([`helper`]) that kills it and all its
//! descendants when ccrs dies in any way. Without one (library use, core's own tests) the
//! spawn is direct: same API, same group kills, but no parent-death guarantee and no
//! confinement.

pub mod confine;
mod exit;
mod group;
pub mod helper;
mod mountns;
mod seccomp;
mod spawn;
pub mod wire;

pub use confine::Confinement;
pub use exit::Exit;
pub use group::{ProcessGroup, kill_group};
pub use spawn::{Child, HelperState, Spawn, helper, helper_state, probe_helper, set_helper};
pub use wire::{HELPER_ARG, is_helper_arg};
