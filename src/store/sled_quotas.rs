//! Quota counts in sled: `quota_counts`: form id, 0xFF, quota name -> places taken (u64 BE).
//!
//! A response's places are taken in the transaction that stores it and given back in the one
//! that erases it. The store knows nothing of quota rules: the response lists its places and
//! the limit each had, and the check and the count are one atomic step here.

use sled::transaction::{ConflictableTransactionResult, TransactionalTree};

use super::QuotaPlace;
use super::sled_store::form_key;

fn read(bytes: Option<sled::IVec>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
}

/// Takes a place in each quota, or none at all: the name of the first quota without a place
/// left. Run before the transaction writes anything else, so a refusal writes nothing.
pub(super) fn claim(
    counts: &TransactionalTree,
    form: &str,
    places: &[QuotaPlace],
) -> ConflictableTransactionResult<Option<String>, String> {
    let mut taken = Vec::with_capacity(places.len());
    for place in places {
        let key = form_key(form, place.name.as_bytes());
        let count = read(counts.get(&key)?);
        if count >= place.limit {
            return Ok(Some(place.name.clone()));
        }
        taken.push((key, count + 1));
    }
    for (key, count) in taken {
        counts.insert(key, &count.to_be_bytes())?;
    }
    Ok(None)
}

/// Gives back the places an erased response took.
pub(super) fn release(
    counts: &TransactionalTree,
    form: &str,
    places: &[QuotaPlace],
) -> ConflictableTransactionResult<(), String> {
    for place in places {
        let key = form_key(form, place.name.as_bytes());
        let count = read(counts.get(&key)?).saturating_sub(1);
        if count == 0 {
            counts.remove(key)?;
        } else {
            counts.insert(key, &count.to_be_bytes())?;
        }
    }
    Ok(())
}

/// Counts one place outside a transaction: a restore, into a store nothing else writes to,
/// recounting the places of the responses it brings back.
pub(super) fn add_one(tree: &sled::Tree, form: &str, name: &str) -> Result<(), super::StoreError> {
    let key = form_key(form, name.as_bytes());
    let count = read(tree.get(&key).map_err(super::sled_store::backend)?) + 1;
    tree.insert(key, &count.to_be_bytes())
        .map_err(super::sled_store::backend)?;
    Ok(())
}

/// Every quota of a form with the places it has taken.
pub(super) fn counts(
    tree: &sled::Tree,
    form: &str,
) -> Result<std::collections::BTreeMap<String, u64>, super::StoreError> {
    let prefix = form_key(form, b"");
    let mut out = std::collections::BTreeMap::new();
    for entry in tree.scan_prefix(&prefix) {
        let (key, value) = entry.map_err(super::sled_store::backend)?;
        let name = String::from_utf8_lossy(&key[prefix.len()..]).to_string();
        out.insert(name, read(Some(value)));
    }
    Ok(out)
}
