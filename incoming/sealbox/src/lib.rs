pub mod sealbox;
