use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params_from_iter, Connection};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlArg, SqlRunner, Statement};

/// SQLite with the same schema as D1: it applies `migrations/*.sql` in order, recording
/// them in `d1_migrations` as wrangler does, so the tests run against the real schema.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db_err(e: rusqlite::Error) -> InternalError {
    InternalError::new(format!("sqlite: {e}"))
}

impl SqliteStore {
    pub fn open_in_memory() -> Result<Self, InternalError> {
        let store = Self::open_unmigrated_in_memory()?;
        store.migrate()?;
        Ok(store)
    }

    /// A database without the schema, as D1 is before `wrangler d1 migrations apply`.
    pub fn open_unmigrated_in_memory() -> Result<Self, InternalError> {
        Ok(SqliteStore { conn: Mutex::new(Connection::open_in_memory().map_err(db_err)?) })
    }

    /// A file database shared by several connections (several "isolates").
    pub fn open_file(path: &Path) -> Result<Self, InternalError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err)?;
        let store = SqliteStore { conn: Mutex::new(conn) };
        store.migrate()?;
        Ok(store)
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, InternalError> {
        self.conn.lock().map_err(|_| InternalError::new("sqlite connection lock poisoned"))
    }

    fn migrate(&self) -> Result<(), InternalError> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| InternalError::new(format!("reading {}: {e}", dir.display())))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        )
        .map_err(db_err)?;
        for file in files {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let applied: bool = tx
                .query_row("SELECT EXISTS(SELECT 1 FROM d1_migrations WHERE name = ?1)", [&name], |r| r.get(0))
                .map_err(db_err)?;
            if applied {
                continue;
            }
            let sql = std::fs::read_to_string(&file).map_err(|e| InternalError::new(format!("reading {name}: {e}")))?;
            tx.execute_batch(&sql).map_err(|e| InternalError::new(format!("migration {name}: {e}")))?;
            tx.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [&name]).map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }
}

impl SqliteStore {
    /// Rows as JSON objects, the shape D1 returns, so both stores decode rows with the
    /// same `engine::sql` structs.
    fn query_json(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<serde_json::Value>, InternalError> {
        rows_json(&*self.conn()?, sql, params)
    }
}

/// The rows of `sql` on `conn` (a connection or an open transaction) as JSON objects.
fn rows_json(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<serde_json::Value>, InternalError> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare(sql).map_err(db_err)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = stmt.query(params).map_err(db_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_err)? {
        let mut object = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i).map_err(db_err)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => serde_json::Value::from(n),
                ValueRef::Real(f) => serde_json::Value::from(f),
                ValueRef::Text(t) => serde_json::Value::from(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => return Err(InternalError::new("unexpected BLOB column")),
            };
            object.insert(name.clone(), value);
        }
        out.push(serde_json::Value::Object(object));
    }
    Ok(out)
}

fn to_sql(arg: &SqlArg) -> rusqlite::types::Value {
    match arg {
        SqlArg::Text(t) => rusqlite::types::Value::Text(t.clone()),
        SqlArg::Int(n) => rusqlite::types::Value::Integer(*n),
        SqlArg::Null => rusqlite::types::Value::Null,
    }
}

impl SqlRunner for SqliteStore {
    async fn execute(&self, sql: &str, args: &[SqlArg]) -> Result<u64, InternalError> {
        let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
        self.conn()?.execute(sql, params_from_iter(params)).map(|n| n as u64).map_err(db_err)
    }

    async fn query(&self, sql: &str, args: &[SqlArg]) -> Result<Vec<serde_json::Value>, InternalError> {
        let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
        self.query_json(sql, params_from_iter(params))
    }

    /// One transaction, like a D1 batch: all statements or none.
    async fn batch(&self, statements: &[Statement<'_>]) -> Result<Vec<u64>, InternalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db_err)?;
        let mut changes = Vec::with_capacity(statements.len());
        for (sql, args) in statements {
            let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
            changes.push(tx.execute(sql, params_from_iter(params)).map_err(db_err)? as u64);
        }
        tx.commit().map_err(db_err)?;
        Ok(changes)
    }

    /// One transaction, like a D1 batch: every statement's rows (reads, and writes with
    /// `RETURNING`), all of its writes or none.
    async fn query_batch(&self, statements: &[Statement<'_>]) -> Result<Vec<Vec<serde_json::Value>>, InternalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db_err)?;
        let mut results = Vec::with_capacity(statements.len());
        for (sql, args) in statements {
            let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
            results.push(rows_json(&tx, sql, params_from_iter(params))?);
        }
        tx.commit().map_err(db_err)?;
        Ok(results)
    }
}
