"""How a Xero contact's fields are read into a practice client's."""
from plugins.xero.sync.fields import client_values, contact_body


def test_the_street_address_is_used_when_the_postal_slot_is_empty():
    contact = {"Name": "Harbour View Café Limited", "Addresses": [
        {"AddressType": "POBOX", "AddressLine1": "", "City": "", "PostalCode": ""},
        {"AddressType": "STREET", "AddressLine1": "12 Quay Street", "City": "Bristol", "PostalCode": "BS1 4DJ"}]}
    values = client_values(contact)
    assert (values["address_line1"], values["city"], values["postcode"]) == ("12 Quay Street", "Bristol", "BS1 4DJ")


def test_a_filled_postal_address_wins_over_the_street_address():
    contact = {"Addresses": [{"AddressType": "STREET", "City": "Bath"}, {"AddressType": "POBOX", "City": "York"}]}
    assert client_values(contact)["city"] == "York"


def test_phone_parts_are_joined_and_written_back_as_one_number():
    contact = {"Phones": [{"PhoneType": "DDI", "PhoneNumber": ""},
                          {"PhoneType": "DEFAULT", "PhoneCountryCode": "44", "PhoneAreaCode": "20", "PhoneNumber": "7946 0011"}]}
    assert client_values(contact)["phone"] == "44 20 7946 0011"
    body = contact_body({**client_values(contact), "phone": "020 7946 0011"}, fields=("phone",))
    assert body == {"Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "020 7946 0011", "PhoneAreaCode": "",
                                "PhoneCountryCode": ""}]}
