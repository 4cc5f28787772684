//! Finding a hub without typing its address: the hub announces itself by
//! mDNS (DNS-SD, `_racedesk._tcp`) with its event's name, and a station
//! looks for a few seconds. Only a convenience: many venue WiFis drop
//! multicast, so typing the address always works, and trust still comes
//! from the join code (a found address is only where to knock).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent, ServiceInfo};

const SERVICE: &str = "_racedesk._tcp.local.";

/// A hub's announcement, withdrawn when dropped.
pub(crate) struct Announced {
    daemon: ServiceDaemon,
    fullname: String,
}

impl Drop for Announced {
    fn drop(&mut self) {
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

/// A daemon that speaks on `only`'s network when one is given (a hub
/// listening on one address announces there and nowhere else), else on
/// every network of this machine.
fn daemon(only: Option<IpAddr>) -> Option<ServiceDaemon> {
    let daemon = ServiceDaemon::new()
        .map_err(|e| tracing::warn!(error = %e, "mDNS is not available here"))
        .ok()?;
    if let Some(ip) = only {
        let kept = daemon.disable_interface(IfKind::All).is_ok()
            && daemon.enable_interface(IfKind::Addr(ip)).is_ok();
        if !kept {
            let _ = daemon.shutdown();
            return None;
        }
    }
    Some(daemon)
}

/// Announces a hub listening on `addresses` and `port` for the event
/// `event`, on `only`'s network when given; none when this machine cannot
/// multicast (said in the log).
pub(crate) fn announce(
    event: &str,
    addresses: &[IpAddr],
    port: u16,
    only: Option<IpAddr>,
) -> Option<Announced> {
    let daemon = daemon(only)?;
    let mut properties = HashMap::new();
    properties.insert("event".to_owned(), event.chars().take(100).collect());
    properties.insert("protocol".to_owned(), super::wire::protocol());
    // An instance name of its own per hub: the event's name and the port.
    let instance = format!("{} {port}", event.chars().take(40).collect::<String>());
    let info = ServiceInfo::new(
        SERVICE,
        &instance,
        &format!("racedesk-hub-{port}.local."),
        addresses,
        port,
        properties,
    )
    .map_err(|e| tracing::warn!(error = %e, "the hub cannot be announced"))
    .ok()?;
    let fullname = info.get_fullname().to_owned();
    daemon
        .register(info)
        .map_err(|e| tracing::warn!(error = %e, "the hub cannot be announced"))
        .ok()?;
    Some(Announced { daemon, fullname })
}

/// A hub found on the network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct FoundHub {
    /// Where to join it: an address and a port.
    pub address: String,
    /// The event it shares, by name.
    pub event: String,
}

/// The hubs that answer within `wait` (on `only`'s network when given),
/// IPv4 addresses first; none when mDNS is not available here.
pub async fn find_hubs(wait: Duration, only: Option<IpAddr>) -> Vec<FoundHub> {
    let Some(daemon) = daemon(only) else {
        return Vec::new();
    };
    let Ok(events) = daemon.browse(SERVICE) else {
        let _ = daemon.shutdown();
        return Vec::new();
    };
    let mut found: Vec<FoundHub> = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, events.recv_async()).await {
        let ServiceEvent::ServiceResolved(service) = event else {
            continue;
        };
        let name = service
            .txt_properties
            .get_property_val_str("event")
            .unwrap_or_default()
            .to_owned();
        let mut ips: Vec<IpAddr> = service.addresses.iter().map(|a| a.to_ip_addr()).collect();
        ips.sort_by_key(|ip| (!ip.is_ipv4(), ip.is_loopback(), *ip));
        for ip in ips {
            let address = std::net::SocketAddr::new(ip, service.port).to_string();
            if !found.iter().any(|f| f.address == address) {
                found.push(FoundHub {
                    address,
                    event: name.clone(),
                });
            }
        }
    }
    let _ = daemon.stop_browse(SERVICE);
    let _ = daemon.shutdown();
    found
}
