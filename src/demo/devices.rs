//! What the demo's parties do on their own devices, with the same Rust code the tests and the
//! command-line clients use: make and register signing keys, make custodian keys, seal bids, open
//! their shares of a bid's key. Private keys never reach the hall: the custodian keys a box still
//! needs are kept as key files in the data directory (`demo-custodians/`), never in the database
//! or a log; the rest are dropped once used.

use super::fixture::{bad, BidFx};
use crate::app::AppState;
use crate::bids::opening::Release;
use crate::bids::service::{self as bids, NewCustodianKey};
use crate::domain::{KeyId, Line, OrgId, TenderId};
use crate::identity::keys::test_support::{new_pair, proof_for, sign};
use crate::identity::service::{register_signing_key, NewSigningKey};
use crate::identity::Actor;
use crate::sealbox::envelope::{self, Header, SealParams};
use crate::sealbox::keys::{CustodianPrivateKey, CustodianPublicKey, TendererSigningKey};
use crate::sealbox::tar::TarWriter;
use crate::server::StartError;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where the demo keeps the custodian keys its boxes still need, under the data directory.
pub const KEYS_DIR: &str = "demo-custodians";

pub(super) struct Devices {
    rng: SystemRandom,
    /// Each organisation's registered signing key: its id and PKCS#8, in memory only.
    signing: HashMap<OrgId, (KeyId, Vec<u8>)>,
    keys_dir: PathBuf,
}

impl Devices {
    /// The devices of a demo loading into an empty database: key files a previous demo left in
    /// `data_dir` belong to tenders that database had, and go.
    pub fn new(data_dir: &Path) -> Result<Devices, StartError> {
        let keys_dir = data_dir.join(KEYS_DIR);
        if keys_dir.exists() {
            std::fs::remove_dir_all(&keys_dir)?;
        }
        Ok(Devices {
            rng: SystemRandom::new(),
            signing: HashMap::new(),
            keys_dir,
        })
    }

    /// The organisation's signing key, made and registered (with its proof of possession) the
    /// first time it is needed.
    pub async fn signing_key(
        &mut self,
        app: &AppState,
        actor: &Actor,
    ) -> Result<(KeyId, Vec<u8>), StartError> {
        if let Some(k) = self.signing.get(&actor.org_id) {
            return Ok(k.clone());
        }
        let (_, pkcs8) = new_pair();
        let (public_key, proof) = proof_for(&pkcs8, &actor.org_id);
        let key = register_signing_key(
            app,
            actor,
            NewSigningKey {
                label: Line::parse("法人数字证书").map_err(bad)?,
                public_key,
                proof,
            },
        )
        .await
        .map_err(bad)?;
        let made = (key.id, pkcs8);
        self.signing.insert(actor.org_id.clone(), made.clone());
        Ok(made)
    }

    /// Base64 ECDSA signature of `message` by the organisation's signing key.
    pub async fn sign(
        &mut self,
        app: &AppState,
        actor: &Actor,
        message: &[u8],
    ) -> Result<(KeyId, String), StartError> {
        let (id, pkcs8) = self.signing_key(app, actor).await?;
        Ok((id, sign(&pkcs8, message)))
    }

    /// Custodian `index` makes its key pair for the tender and registers the public key, signed
    /// with its organisation's signing key.
    pub async fn custodian_key(
        &mut self,
        app: &AppState,
        actor: &Actor,
        tender: &TenderId,
        index: u8,
    ) -> Result<CustodianPrivateKey, StartError> {
        let key = CustodianPrivateKey::generate(&self.rng).map_err(bad)?;
        let public_key = B64.encode(key.public_key().to_sec1());
        let message = crate::bids::key_registration_message(tender, index, &public_key);
        let (_, signature) = self.sign(app, actor, &message).await?;
        bids::register_key(
            app,
            actor,
            tender,
            index,
            NewCustodianKey {
                public_key,
                signature,
            },
        )
        .await
        .map_err(bad)?;
        Ok(key)
    }

    /// Keeps a custodian's key as a key file (mode 0600) for the custodian to release with later:
    /// `demo-custodians/<tender>/<index>-<login>.key`, listed in `demo-custodians/index.txt`.
    pub fn keep(
        &self,
        tender: &TenderId,
        title: &str,
        index: u8,
        login: &str,
        key: &CustodianPrivateKey,
    ) -> Result<PathBuf, StartError> {
        crate::keyfile::private_dir(&self.keys_dir)?;
        let dir = self.keys_dir.join(tender.as_str());
        crate::keyfile::private_dir(&dir)?;
        let path = dir.join(format!("{index}-{login}.key"));
        let text = key.to_key_file().map_err(bad)?;
        crate::keyfile::write_private(&path, text.as_bytes())?;
        let line = format!("{tender}\t{index}\t{login}\t{}\t{title}\n", path.display());
        use std::io::Write;
        crate::keyfile::private_options()
            .create(true)
            .append(true)
            .open(self.keys_dir.join("index.txt"))?
            .write_all(line.as_bytes())?;
        Ok(path)
    }

    /// The tenderer seals its bid for the tender's registered custodians, as the bid page and
    /// `bidhall seal` do: bid.json announced, the proposal in the documents archive.
    pub async fn seal(
        &mut self,
        app: &AppState,
        actor: &Actor,
        tender: &TenderId,
        lot: &str,
        bid: &BidFx,
    ) -> Result<Vec<u8>, StartError> {
        let listed = bids::custodians(app, tender).await.map_err(bad)?;
        let custodians = listed
            .iter()
            .map(|c| {
                let b64 = c
                    .public_key
                    .as_deref()
                    .ok_or_else(|| bad(format!("custodian {} of {tender} has no key", c.index)))?;
                let raw = B64.decode(b64).map_err(bad)?;
                CustodianPublicKey::from_sec1(&raw).map_err(bad)
            })
            .collect::<Result<Vec<_>, StartError>>()?;
        let params = SealParams {
            tender_id: tender.to_string(),
            lot_id: lot.to_string(),
            tenderer_id: actor.org_id.to_string(),
            custodians,
            k: 3,
        };
        let (_, pkcs8) = self.signing_key(app, actor).await?;
        let signer = TendererSigningKey::from_pkcs8(&pkcs8, &self.rng).map_err(bad)?;
        let announced = serde_json::json!({
            "price_fen": (bid.price_yuan * 100).to_string(),
            "duration_days": bid.duration_days,
            "quality_commitment": bid.quality,
        })
        .to_string();
        let mut tar = TarWriter::documents(Vec::new());
        let proposal = bid.proposal.as_bytes();
        tar.append("attachments/技术方案.txt", proposal.len() as u64, proposal)
            .map_err(bad)?;
        let documents = tar.finish().map_err(bad)?;
        let mut out = Vec::new();
        envelope::seal_v2(
            &params,
            &signer,
            announced.as_bytes(),
            &documents[..],
            documents.len() as u64,
            &mut out,
            &self.rng,
        )
        .map_err(bad)?;
        Ok(out)
    }
}

/// Custodian `index` fetches the headers of the counted bids, opens its shares with its own key
/// and releases them; the hall then opens what they make decryptable.
pub(super) async fn release(
    app: &AppState,
    actor: &Actor,
    tender: &TenderId,
    index: u8,
    key: &CustodianPrivateKey,
) -> Result<usize, StartError> {
    let listed = crate::bids::opening::sealed_shares(app, actor, tender, index)
        .await
        .map_err(bad)?;
    let mut releases = Vec::new();
    for item in listed {
        let header = Header::parse(&B64.decode(&item.header).map_err(bad)?).map_err(bad)?;
        let share = envelope::open_share(&header, index, key).map_err(bad)?;
        releases.push(Release {
            bid_id: item.bid_id,
            share: B64.encode(*share.to_bytes()),
        });
    }
    crate::opening::service::release(app, actor, tender, index, releases)
        .await
        .map_err(bad)
}
