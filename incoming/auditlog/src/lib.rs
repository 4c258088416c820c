pub mod auditlog;
