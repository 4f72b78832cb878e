//! The merge rule of a spec file's `"base"`, in one place: the build script resolves the
//! built-in files with it (`build.rs` includes this file) and the run-time loader
//! ([`MessageSpec::from_json`](super::MessageSpec::from_json)) resolves a loaded file with it.
//!
//! A file with `"base": NAME` names only what differs from spec `NAME`: each of its `fields`
//! replaces the base's field of that number whole (or adds one), and every other key of the
//! file (`name`, `note`, `source`, …) replaces the base's.

use serde_json::Value;

/// `file` with its `"base"` resolved: as it is without one; else laid over the spec
/// `load_base` gives for the base's name (as JSON, itself resolved).
///
/// # Errors
/// A file that is no JSON object, a `base` that is no string or that `load_base` does not
/// know, or `fields` that are no object.
pub(crate) fn resolve(
    mut file: Value,
    load_base: impl FnOnce(&str) -> Option<Value>,
) -> Result<Value, &'static str> {
    const NOT_OBJECT: &str = "a spec file is a JSON object";
    const NOT_FIELDS: &str = "fields is an object of fields by number";
    let object = file.as_object_mut().ok_or(NOT_OBJECT)?;
    let Some(base) = object.remove("base") else {
        return Ok(file);
    };
    let name = base.as_str().ok_or("base is the name of a spec")?;
    let mut merged = load_base(name).ok_or("base names no spec known here")?;
    let into = merged.as_object_mut().ok_or(NOT_OBJECT)?;
    let Value::Object(overlay) = file else {
        return Err(NOT_OBJECT);
    };
    for (key, value) in overlay {
        if key == "fields" {
            let Value::Object(fields) = value else {
                return Err(NOT_FIELDS);
            };
            let base_fields = into
                .get_mut("fields")
                .and_then(Value::as_object_mut)
                .ok_or(NOT_FIELDS)?;
            for (number, field) in fields {
                base_fields.insert(number, field);
            }
        } else {
            into.insert(key, value);
        }
    }
    Ok(merged)
}
