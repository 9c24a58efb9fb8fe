//! Fuzz findings rebuilt from files of this project's own writer, for the regression tests of
//! `ocsf-model` and of the subscriber (which includes this file by path): no corrupt file is
//! kept in the repository.

use bytes::Bytes;
use parquet::file::metadata::ParquetMetaDataReader;

/// What the `parquet_decode` fuzz target did to a file of our own writer: the first column
/// chunk's dictionary page header (Thrift compact: i32 fields 1-3, then the
/// `DictionaryPageHeader` struct as field 7, whose field 1 is `num_values`) got ten bytes `0x9b`
/// before its `num_values` varint, an overlong varint that `parquet` 60.1 reads as ~640 million
/// values (and sized a 2.5 GB dictionary from). The footer is left as the fuzzer left it.
///
/// `file` must come from `write_parquet` (its first column has a dictionary page).
pub fn dictionary_page_claiming_huge_count(mut file: Vec<u8>) -> Vec<u8> {
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&Bytes::from(file.clone()))
        .expect("footer");
    let column = metadata.row_group(0).column(0);
    let mut pos = usize::try_from(column.dictionary_page_offset().expect("a dictionary page"))
        .expect("offset");
    let mut field = 0;
    loop {
        let header = file[pos];
        pos += 1;
        field += header >> 4;
        match (field, header & 0x0f) {
            // An i32 (zigzag varint): skip it.
            (_, 5) => {
                while file[pos] & 0x80 != 0 {
                    pos += 1;
                }
                pos += 1;
            }
            // `dictionary_page_header`: its first field header, then `num_values`.
            (7, 0x0c) => {
                assert_eq!(file[pos], 0x15, "num_values is the struct's first field");
                pos += 1;
                break;
            }
            other => panic!("unexpected page header field {other:?}"),
        }
    }
    file.splice(pos..pos, [0x9b; 10]);
    file
}
