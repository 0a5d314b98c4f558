fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let book = selfeval::reader::read_book(&bytes).unwrap();
    for o in selfeval::model::read_forms(&book, selfeval::template::Layout::bundled()) {
        println!("{o:#?}");
    }
}
