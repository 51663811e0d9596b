pub mod charset;
pub mod extract;
