//! The socket filter: what Landlock (ABI ≤ 8) cannot restrict. Landlock confines TCP by port
//! and says nothing about UDP, raw sockets or Unix-domain sockets; a confined program could
//! otherwise exfiltrate over DNS/UDP or ask a daemon outside the sandbox (Docker, the user's
//! D-Bus session with `systemd-run --user`) to run anything. The filter makes `socket()` fail
//! with EACCES for those kinds, and `io_uring_setup` (whose socket opcode bypasses seccomp).

use super::confine::Confinement;

#[cfg(target_os = "linux")]
pub fn apply(c: &Confinement) -> Result<Vec<String>, String> {
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op,
        SeccompCondition as Cond, SeccompFilter, SeccompRule, TargetArch,
    };
    use std::collections::BTreeMap;

    let net_confined = c.connect_tcp.is_some();
    if c.unix_sockets && (!net_confined || c.udp) {
        return Ok(Vec::new());
    }
    let arch = match TargetArch::try_from(std::env::consts::ARCH) {
        Ok(a) => a,
        Err(_) => {
            return Ok(vec![format!(
                "no socket filter on {}: UDP and Unix sockets are not confined",
                std::env::consts::ARCH
            )]);
        }
    };
    let err = |e: seccompiler::BackendError| format!("seccomp: {e}");
    let domain_is = |d: i32| Cond::new(0, Len::Dword, Op::Eq, d as u64).map_err(err);
    let type_is = |t: i32| Cond::new(1, Len::Dword, Op::MaskedEq(0xf), t as u64).map_err(err);
    let mut socket_rules = Vec::new();
    if !c.unix_sockets {
        socket_rules.push(SeccompRule::new(vec![domain_is(libc::AF_UNIX)?]).map_err(err)?);
    }
    if net_confined && !c.udp {
        for domain in [libc::AF_INET, libc::AF_INET6] {
            for ty in [libc::SOCK_DGRAM, libc::SOCK_RAW] {
                socket_rules
                    .push(SeccompRule::new(vec![domain_is(domain)?, type_is(ty)?]).map_err(err)?);
            }
        }
        socket_rules.push(SeccompRule::new(vec![domain_is(libc::AF_PACKET)?]).map_err(err)?);
    }
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    rules.insert(libc::SYS_socket, socket_rules);
    rules.insert(libc::SYS_io_uring_setup, Vec::new());
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(err)?;
    let program: BpfProgram = filter.try_into().map_err(err)?;
    seccompiler::apply_filter(&program).map_err(|e| format!("seccomp: {e}"))?;
    Ok(Vec::new())
}
