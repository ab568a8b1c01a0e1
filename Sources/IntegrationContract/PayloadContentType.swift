/// The media types an integration may have its webhook bodies decoded as, whatever their `Content-Type` says
/// (`Integration.payloadContentType`; adnanh/webhook's `incoming-payload-content-type`).
public enum PayloadContentType {
    public static let forcible = [
        "application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
    ]
}
