use super::*;

#[test]
fn pushed_fragments_number_their_placeholders_after_the_bound_ones() {
    let mut statement = Statement::new("SELECT * FROM t WHERE a = $1").bind(1_i64);
    statement.push(" AND b = ? AND c < ?", [Param::from("x"), Param::from(3_i64)]);
    let d = statement.placeholder(Some(4_i64));
    statement.push(&format!(" AND d = {d}"), []);
    assert_eq!(
        statement.sql,
        "SELECT * FROM t WHERE a = $1 AND b = $2 AND c < $3 AND d = $4"
    );
    assert_eq!(statement.params.len(), 4);
}

#[test]
fn rows_become_the_values_their_json_would_have_been_read_as() {
    let mut params = Vec::new();
    let row = ("text", 7_i64, None::<i64>, Some("some"), true, u64::MAX);
    row_params(&row, &mut params).unwrap();
    row_params(&serde_json::json!([null, 2, "two"]), &mut params).unwrap();
    assert_eq!(
        params,
        [
            Param::from("text"),
            Param::Int(Some(7)),
            Param::Text(None),
            Param::from("some"),
            Param::Int(Some(1)),
            Param::Text(Some(u64::MAX.to_string())),
            Param::Text(None),
            Param::Int(Some(2)),
            Param::from("two"),
        ]
    );
    assert!(row_params(&(vec![1_i64],), &mut params).is_err());
    assert!(row_params(&7_i64, &mut params).is_err());
}
